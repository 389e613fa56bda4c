"""The schemas of webhooks: registration, rotation and the delivery log."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from moderation.schemas.common import Flag, web_url
from moderation.webhooks import EVENT_TYPES


class WebhookPatchSchema(ma.Schema):
    url = web_url()
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)), validate=validate.Length(min=1)
    )
    active = Flag()


class WebhookCreateSchema(WebhookPatchSchema):
    url = web_url(required=True)
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        validate=validate.Length(min=1),
        load_default=lambda: list(EVENT_TYPES),
    )


class WebhookSchema(ma.Schema):
    id = fields.Integer()
    site = fields.Function(lambda hook: hook.site.name)
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    rotated_at = fields.DateTime(allow_none=True)
    previous_valid_until = fields.DateTime(
        allow_none=True,
        metadata={"description": "Until then, deliveries are also signed with the old secret."},
    )
    links = fields.Function(
        lambda hook: {
            "self": f"/v1/webhooks/{hook.id}",
            "deliveries": f"/v1/webhooks/{hook.id}/deliveries",
            "rotate": f"/v1/webhooks/{hook.id}/rotate",
        }
    )


class WebhookSecretSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "The signing secret: shown this once."})


class RotateSchema(ma.Schema):
    grace_seconds = fields.Integer(
        load_default=86_400,
        validate=validate.Range(min=0, max=7 * 86_400),
        metadata={"description": "How long the old secret keeps signing, beside the new one."},
    )


class DeliveryArgsSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The next_cursor of the previous page."},
    )


class DeliverySchema(ma.Schema):
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.Function(lambda delivery: delivery.event.type)
    comment_id = fields.Function(lambda delivery: delivery.event.comment_id)
    status = fields.String()
    attempts = fields.Integer(
        metadata={"description": "Attempts since the delivery was made or last redelivered."}
    )
    log = fields.List(
        fields.Dict(),
        metadata={
            "description": "The last 20 attempts, oldest first: at, status_code, status_line "
            "(the receiver's answer is never kept beyond it), error, duration_ms."
        },
    )
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.Integer(allow_none=True)
