"""models.record: training and serving build the same model input from the same comment."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from models.record import FIELDS, CommentRecord, model_input
from models.text import normalize
from models.training.datasets import Example
from models.training.train import to_record

FORM = {
    "text": "Ｂｕｙ ch3ap w@tches at shop dot com!!!",  # noqa: RUF001 (full-width on purpose)
    "name": "Best Deals",
    "email": "deals@example.com",
    "url": "http://shop.example.com",
}


def test_training_and_serving_build_the_same_input() -> None:
    """A dataset example, a feedback row, a stored comment and the API's fields agree."""
    example = Example(source="feedback", group="feedback", labels={"spam": 1}, **FORM)
    feedback_row = {**FORM, "labels": {"spam": 1}, "source": "feedback", "comment_id": "c1"}
    stored = SimpleNamespace(id="c1", status="pending", **FORM)
    served = model_input(FORM)
    assert to_record(example) == served
    assert to_record(feedback_row) == served
    assert CommentRecord.from_attributes(stored).as_model_input() == served
    assert served == {**FORM, "norm": normalize(FORM["text"])}
    assert "shop.com" in served["norm"] and "cheap" in served["norm"]


def test_optional_fields_default_to_none_and_text_to_empty() -> None:
    assert model_input({"text": "hi"}) == {
        "text": "hi",
        "norm": "hi",
        "name": None,
        "email": None,
        "url": None,
    }
    assert CommentRecord.from_fields({}).text == ""
    assert CommentRecord.from_fields({"text": None, "extra": 1}) == CommentRecord("")


def test_fields_that_are_not_strings_are_refused() -> None:
    with pytest.raises(ValueError, match="name, url"):
        CommentRecord.from_fields({"text": "hi", "name": 3, "url": ["x"]})
    with pytest.raises(ValueError, match="text"):
        model_input({"text": b"bytes"})


def test_fields_round_trip_in_order() -> None:
    record = CommentRecord.from_fields(FORM)
    assert tuple(record.as_fields()) == FIELDS
    assert CommentRecord.from_fields(record.as_fields()) == record
    with pytest.raises(AttributeError):
        record.text = "changed"  # type: ignore[misc]
