"""Shared pieces of the schemas: text and URL fields, statuses, actions and the error shape.

The same schemas validate requests, serialize responses and generate ``/openapi.json``. Request
schemas reject unknown fields (marshmallow's default), so a typo in a field name is a 422 that
names the field rather than a silently dropped value. One module per blueprint beside this one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

STATUSES = ("pending", "approved", "held", "rejected")
ACTIONS = ("approve", "reject", "spam", "not_spam")


def clean_text(value: str) -> None:
    # NUL cannot be stored by PostgreSQL and is never part of a real comment; lone surrogates
    # (invalid Unicode that JSON escapes can smuggle in) cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ma.ValidationError("Must be valid Unicode (no unpaired surrogates).") from error


class Moment(fields.AwareDateTime):
    """An ISO 8601 time with its UTC offset, loaded as UTC.

    ``0001-01-01T00:00:00+01:00`` parses, yet is in year 0 once in UTC: Python cannot represent
    it and the database driver's conversion raised OverflowError (a 500). Converting here makes
    such a time a 422 naming the field.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=None, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise ma.ValidationError("Must be between the years 1 and 9999 in UTC.") from error


class Flag(fields.Boolean):
    """A JSON ``true`` or ``false``, nothing else (not 0, 1, "off", "yes").

    marshmallow's Boolean takes many truthy/falsy spellings; a client that sends ``"active": 0``
    or ``"off"`` has a bug, and guessing its meaning could switch a webhook or a setting. (A set
    of truthy values cannot do it: ``0 in {False}`` is true in Python.)
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def text_field(minimum: int, maximum: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=minimum, max=maximum), clean_text], **kwargs)


# An http(s) URL without spaces or ASCII control characters. One regex both validates and documents
# it (a format such as "uri" would promise more, or less, than the validator accepts); no \s, which
# means different characters in Python and in the ECMA regexes of JSON Schema.
WEB_URL = r"^https?://[^ /?#\x00-\x1f\x7f]+([/?#][^ \x00-\x1f\x7f]*)?$"


def web_url(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=2048), validate.Regexp(WEB_URL)],
        metadata={"description": "An http or https URL."},
        **kwargs,
    )


# A web origin, as browsers send it in the Origin header: scheme, host and port; no path.
WEB_ORIGIN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$"


def web_origin(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=300), validate.Regexp(WEB_ORIGIN)],
        metadata={"description": "A web origin such as https://blog.example (CORS)."},
        **kwargs,
    )


class ErrorSchema(ma.Schema):
    """Every error: the HTTP code and name, a sentence for people, and errors per field."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(
        required=True,
        metadata={"description": "Messages per location and field, e.g. json → text → [...]."},
    )


def moderator_field() -> fields.String:
    """Who made a decision, note or action: ``moderation.keys.moderator_of``, set on the row."""
    return fields.String(
        allow_none=True,
        dump_only=True,
        metadata={
            "description": "Who: the moderator's name, else the key's prefix "
            '("key mmt_AbCd12"), "a deleted key" once its key is gone; null for the '
            "policy's and readers' reports' decisions."
        },
    )
