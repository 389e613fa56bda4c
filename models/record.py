"""The comment record the models read: the one definition, used by training and serving alike.

A comment is its text plus the optional ``name``, ``email`` and ``url`` form fields.  The
pipelines read :class:`ModelInput` dicts, which add ``norm`` (the normalized text) so that
normalization runs once per comment; both the trainer and the scorer build them with
:meth:`CommentRecord.as_model_input`, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from models.text import normalize

# The fields of a comment, in the order of the JSON Lines and the training rows.
FIELDS = ("text", "name", "email", "url")


class ModelInput(TypedDict):
    """What a pipeline reads for one comment: the fields plus the normalized text."""

    text: str
    norm: str
    name: str | None
    email: str | None
    url: str | None


@dataclass(frozen=True)
class CommentRecord:
    """One comment as the models see it: ``text`` and the optional form fields."""

    text: str
    name: str | None = None
    email: str | None = None
    url: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> CommentRecord:
        """The record of a mapping with those keys (a JSON line, a training row, form fields).

        Other keys are ignored; a missing or empty ``text`` is the empty string.  A field that is
        neither a string nor None is refused with ValueError.
        """
        values = {key: fields.get(key) for key in FIELDS}
        wrong = [key for key, value in values.items() if not isinstance(value, str | None)]
        if wrong:
            raise ValueError(f"comment fields must be strings: {', '.join(wrong)}")
        values["text"] = values["text"] or ""
        return cls(**values)

    @classmethod
    def from_attributes(cls, obj: Any) -> CommentRecord:
        """The record of an object with those attributes (a stored comment, a dataset example)."""
        return cls.from_fields({key: getattr(obj, key, None) for key in FIELDS})

    def as_fields(self) -> dict[str, str | None]:
        """The four fields as a plain (JSON-serializable) dict."""
        return {"text": self.text, "name": self.name, "email": self.email, "url": self.url}

    def as_model_input(self, normalize: Callable[[str], str] = normalize) -> ModelInput:
        """The dict the pipelines read; ``normalize`` may be a cached ``models.text.normalize``."""
        return {
            "text": self.text,
            "norm": normalize(self.text),
            "name": self.name,
            "email": self.email,
            "url": self.url,
        }


def model_input(
    comment: CommentRecord | Mapping[str, Any], normalize: Callable[[str], str] = normalize
) -> ModelInput:
    """:meth:`CommentRecord.as_model_input` of a record or of a mapping of its fields."""
    if not isinstance(comment, CommentRecord):
        comment = CommentRecord.from_fields(comment)
    return comment.as_model_input(normalize)
