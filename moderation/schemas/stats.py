"""The schemas of ``/v1/stats``: volumes and overturn rates."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from moderation.schemas.common import Moment


class StatsArgsSchema(ma.Schema):
    site = fields.String()
    since = Moment()
    until = Moment()


class OverturnSchema(ma.Schema):
    decided = fields.Integer(metadata={"description": "Automatic verdicts."})
    reviewed = fields.Integer(metadata={"description": "Of those, decided on by a moderator."})
    overturned = fields.Integer(metadata={"description": "Of those, the other way."})
    overturn_rate = fields.Float(allow_none=True, metadata={"description": "overturned/reviewed"})


class AutomaticSchema(ma.Schema):
    by_verdict = fields.Dict(keys=fields.String(), values=fields.Nested(OverturnSchema))
    by_reason = fields.Dict(keys=fields.String(), values=fields.Nested(OverturnSchema))


class OldestHeldSchema(ma.Schema):
    id = fields.String()
    created_at = fields.DateTime()
    age_seconds = fields.Float()


class ModeratorReviewSchema(ma.Schema):
    reviewed = fields.Integer(
        metadata={"description": "Automatic verdicts whose standing (last) decision is theirs."}
    )
    overturned = fields.Integer(metadata={"description": "Of those, the other way."})
    overturn_rate = fields.Float(allow_none=True, metadata={"description": "overturned/reviewed"})


class ModeratorStatsSchema(ma.Schema):
    key_id = fields.Integer(allow_none=True, metadata={"description": "Null: a deleted key."})
    moderator = fields.String(metadata={"description": "The key's name, else its prefix."})
    decisions = fields.Integer()
    by_action = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "approve, reject, spam, not_spam."},
    )
    overturned_by_others = fields.Integer(
        metadata={
            "description": "Their decisions another moderator later changed to another status."
        }
    )
    automatic = fields.Nested(ModeratorReviewSchema)


class StatsSchema(ma.Schema):
    generated_at = fields.DateTime()
    site = fields.String(allow_none=True)
    since = fields.DateTime(allow_none=True)
    until = fields.DateTime(allow_none=True)
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    oldest_held = fields.Nested(OldestHeldSchema, allow_none=True)
    automatic = fields.Nested(AutomaticSchema)
    moderators = fields.List(
        fields.Nested(ModeratorStatsSchema),
        metadata={"description": "Per moderator key, most decisions first."},
    )
