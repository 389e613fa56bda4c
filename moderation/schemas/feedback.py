"""The schemas of ``/v1/feedback``: moderators' decisions as labelled training rows."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from moderation.schemas.common import Moment


class FeedbackArgsSchema(ma.Schema):
    since = Moment(metadata={"description": "Decisions made at or after this time."})
    site = fields.String()
    split = fields.String(
        load_default="train",
        validate=validate.OneOf(["train", "holdout", "all"]),
        metadata={
            "description": "train (default): every row but the held-out ones that judge new "
            "model versions; holdout: only those; all: both."
        },
    )
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))
    cursor = fields.String()


class FeedbackRowSchema(ma.Schema):
    """A moderator decision as a labelled training row (``moderation train --feedback``)."""

    text = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    labels = fields.Dict(keys=fields.String(), values=fields.Integer())
    source = fields.String()
    comment_id = fields.String()
    decided_at = fields.String()


class FeedbackPageSchema(ma.Schema):
    items = fields.List(fields.Nested(FeedbackRowSchema))
    next_cursor = fields.String(allow_none=True)
