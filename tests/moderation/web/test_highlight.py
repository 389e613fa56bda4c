"""Cutting a comment into runs under its explanation spans."""

from __future__ import annotations

from moderation.web.highlight import Run, runs, span_list


def test_runs_give_back_the_text_and_mark_overlaps_with_every_label() -> None:
    text = "you stupid idiot!"
    found = runs(
        text,
        {
            "insult": [{"start": 4, "end": 16, "weight": 0.7}],
            "toxicity": [{"start": 11, "end": 16, "weight": 0.9}],
        },
    )
    assert "".join(run.text for run in found) == text
    assert found == [
        Run("you "),
        Run("stupid ", (("insult", 0.7),)),
        Run("idiot", (("toxicity", 0.9), ("insult", 0.7))),
        Run("!"),
    ]
    assert found[2].label == "toxicity" and found[2].title == "toxicity 0.90, insult 0.70"


def test_malformed_and_out_of_range_spans_are_dropped() -> None:
    text = "short"
    found = runs(
        text,
        {
            "spam": [{"start": 3, "end": 99, "weight": 0.5}, {"start": "x", "end": 2}, {"end": 1}],
            "insult": "not a list",
            "threat": [{"start": 4, "end": 2, "weight": 1}],
        },
    )
    assert found == [Run("sho"), Run("rt", (("spam", 0.5),))]
    assert runs("", None) == []
    assert span_list(text, {"spam": [{"start": 0, "end": 5, "weight": 0.2}]}) == [
        {"label": "spam", "text": "short", "weight": 0.2}
    ]
