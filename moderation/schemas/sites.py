"""The schemas of ``/v1/sites``: sites, their policies and the policies' audit log."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models.labels import LABELS
from moderation.policy import DEFAULT_SIGNALS, merged
from moderation.schemas.common import Flag, text_field, web_origin

WORD_LIST = fields.List(
    text_field(1, 100),
    validate=validate.Length(max=1000),
    metadata={"description": "Words or phrases, matched whole on normalized text."},
)


class ThresholdSchema(ma.Schema):
    hold = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))
    reject = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))


class PolicyPatchSchema(ma.Schema):
    """Some keys of a site's policy (checked as a whole once applied)."""

    thresholds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LABELS)), values=fields.Nested(ThresholdSchema)
    )
    premoderation = Flag()
    # Verdicts computed and stored, every comment published (moderation.policy.shadowed).
    shadow = Flag()
    # A comment in a language the models do not read (moderation.policy.unread).
    unknown_language = fields.String(validate=validate.OneOf(["hold", "publish"]))
    # The languages the site's comments are in (ISO 639-1, e.g. ["de", "en"]): the prior the
    # worker routes short or mixed texts by (models.language.route); detection decides the rest.
    languages = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$")),
        validate=validate.Length(max=20),
    )
    trusted_after = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    # Readers' reports that hold an approved comment again (moderation.reports); null: never.
    rehold_after_reports = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=100_000)
    )
    # The count at which a deployment-wide spam signal holds a comment; null turns it off.
    signals = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(DEFAULT_SIGNALS))),
        values=fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000)),
    )
    banned_words = WORD_LIST
    suspect_words = WORD_LIST


class PolicySchema(PolicyPatchSchema):
    """A site's policy; every key optional (defaults in ``moderation.policy``)."""

    @ma.validates_schema
    def _hold_not_above_reject(self, data: dict[str, Any], **_: Any) -> None:
        # Checked on the effective policy: a hold above a default reject is as wrong as above
        # one the site set. (Only hold thresholds left to the model are not known here.)
        errors = {
            label: {"hold": [f"Must not be above reject ({limits['reject']})."]}
            for label, limits in merged(data)["thresholds"].items()
            if limits.get("hold") is not None
            and limits.get("reject") is not None
            and limits["hold"] > limits["reject"]
        }
        if errors:
            raise ma.ValidationError({"thresholds": errors})


class PolicyOutSchema(ma.Schema):
    site = fields.String()
    policy = fields.Dict(metadata={"description": "What the site set."})
    effective = fields.Dict(metadata={"description": "With the defaults filled in."})


class SiteCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,99}$"))
    origins = fields.List(web_origin(), load_default=list)
    policy = fields.Nested(PolicySchema, load_default=dict)


class SiteSchema(ma.Schema):
    name = fields.String()
    origins = fields.List(fields.String())
    policy = fields.Dict()
    created_at = fields.DateTime()


class PolicyChangeSchema(ma.Schema):
    id = fields.Integer()
    actor = fields.String()
    key_id = fields.Integer(allow_none=True)
    old = fields.Dict()
    new = fields.Dict()
    created_at = fields.DateTime()
