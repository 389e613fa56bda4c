"""The schemas of watch-lists: a site's saved queues over a set of threads."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from moderation.watch_lists import MAX_NAME_LENGTH, MAX_THREAD_ID_LENGTH, MAX_THREADS

# No control characters, no space at either end (the regex documents it in /openapi.json too).
NAME_PATTERN = r"^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"


def no_final_newline(value: str) -> None:
    # Python's $ also matches before a final newline, which the pattern means to refuse.
    if value.endswith("\n"):
        raise ma.ValidationError("No control characters, no space at either end.")


class WatchListSubmitSchema(ma.Schema):
    """A watch-list as a moderator makes or replaces it (PUT sends the whole list)."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_NAME_LENGTH),
            validate.Regexp(NAME_PATTERN, error="No control characters, no space at either end."),
            no_final_newline,
        ],
        metadata={"description": "Unique in the site (409 otherwise)."},
    )
    thread_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_THREAD_ID_LENGTH)),
        required=True,
        validate=validate.Length(max=MAX_THREADS),
        metadata={"description": "The threads (stories) it watches, as comments name them."},
    )


class WatchListSchema(ma.Schema):
    id = fields.Integer()
    site = fields.String()
    name = fields.String()
    thread_ids = fields.List(fields.String())
    key_id = fields.Integer(allow_none=True, metadata={"description": "The key that made it."})
    created_at = fields.DateTime()
    links = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "``queue``: the review queue over its threads."},
    )


class WatchListsSchema(ma.Schema):
    items = fields.List(fields.Nested(WatchListSchema), metadata={"description": "By name."})
