"""Webhooks of a site (admin): register, change, rotate the secret, read the delivery log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.destinations import check_url
from moderation.exceptions import DestinationRefused
from moderation.http.auth import Principal, authenticate
from moderation.http.scope import visible_site
from moderation.queue import enqueue_delivery
from moderation.schemas.webhooks import (
    DeliveryArgsSchema,
    DeliveryPageSchema,
    DeliverySchema,
    RotateSchema,
    WebhookCreateSchema,
    WebhookPatchSchema,
    WebhookSchema,
    WebhookSecretSchema,
)
from moderation.storage import DeliveryStatus, Role, Webhook, WebhookDelivery, db, utcnow
from moderation.webhooks import new_salt, signing_secret

blp = Blueprint("webhooks", __name__, url_prefix="/v1", description="Webhooks of a site")


# The largest id an integer column holds; a larger one in a URL is simply not found.
MAX_ID = 2**31 - 1


def load_webhook(session: Session, principal: Principal, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id) if webhook_id <= MAX_ID else None
    if webhook is None or not principal.can_access_site(webhook.site_id):
        abort(404, message="No such webhook.")
    return webhook


def checked_url(url: str) -> str:
    """``url`` if webhooks may reach it; a 422 naming the refused address otherwise.

    Literal addresses and names that resolve now are checked here; the worker checks the address
    again at every delivery, when a name may resolve to something else.
    """
    try:
        check_url(url, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except DestinationRefused as refused:
        abort(
            422,
            message=f"This URL may not receive webhooks: {refused}.",
            errors={"json": {"url": [str(refused)]}},
        )
    return url


def with_secret(webhook: Webhook) -> Webhook:
    """The webhook with its current secret at hand, for the one answer that shows it."""
    # Not a column: the answer's schema reads it from the object, once.
    webhook.secret = signing_secret(current_app.config["SECRET_KEY"], webhook.salt)  # type: ignore[attr-defined]
    return webhook


@blp.route("/sites/<name>/webhooks")
class SiteWebhooks(MethodView):
    @blp.response(200, WebhookSchema(many=True))
    def get(self, name: str) -> list[Webhook]:
        """The site's webhooks (admin)."""
        session = db.session()
        site = visible_site(session, authenticate(session, Role.ADMIN), name)
        return list(
            session.scalars(select(Webhook).where(Webhook.site_id == site.id).order_by(Webhook.id))
        )

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookSecretSchema)
    @blp.alt_response(409, response="CONFLICT", description="The site has its most webhooks.")
    def post(self, body: dict[str, Any], name: str) -> Webhook:
        """Register a webhook (admin). The answer holds its signing secret, shown this once.

        The URL may not point at loopback, private, link-local, multicast or unspecified
        addresses (422), unless ``MODERATION_WEBHOOKS_ALLOW_PRIVATE`` allows private networks;
        a site has at most ``MODERATION_WEBHOOKS_PER_SITE`` webhooks (409).
        """
        session = db.session()
        site = visible_site(session, authenticate(session, Role.ADMIN), name)
        most = current_app.config["WEBHOOKS_PER_SITE"]
        count = session.scalar(
            select(func.count()).select_from(Webhook).where(Webhook.site_id == site.id)
        )
        if count >= most:
            abort(409, message=f"A site has at most {most} webhooks; delete one to add another.")
        webhook = Webhook(
            site_id=site.id,
            url=checked_url(body["url"]),
            events=list(dict.fromkeys(body["events"])),
            active=body.get("active", True),
            salt=new_salt(),
        )
        session.add(webhook)
        session.commit()
        return with_secret(webhook)


@blp.route("/webhooks/<int:webhook_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id: int) -> Webhook:
        """One webhook (admin); its secret is never shown again."""
        session = db.session()
        return load_webhook(session, authenticate(session, Role.ADMIN), webhook_id)

    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    def patch(self, body: dict[str, Any], webhook_id: int) -> Webhook:
        """Change the URL, the events or pause it (``active: false``) (admin)."""
        session = db.session()
        webhook = load_webhook(session, authenticate(session, Role.ADMIN), webhook_id)
        if "events" in body:
            body["events"] = list(dict.fromkeys(body["events"]))
        if "url" in body:
            checked_url(body["url"])
        for field, value in body.items():
            setattr(webhook, field, value)
        session.commit()
        return webhook

    @blp.response(204)
    def delete(self, webhook_id: int) -> None:
        """Remove a webhook and its delivery log (admin)."""
        session = db.session()
        session.delete(load_webhook(session, authenticate(session, Role.ADMIN), webhook_id))
        session.commit()


@blp.route("/webhooks/<int:webhook_id>/rotate")
class WebhookRotate(MethodView):
    @blp.arguments(RotateSchema)
    @blp.response(200, WebhookSecretSchema)
    def post(self, body: dict[str, Any], webhook_id: int) -> Webhook:
        """A new signing secret (admin), shown this once.

        For ``grace_seconds`` (default a day) deliveries carry two signatures, one with the new
        secret and one with the old, so the receiver can switch without losing events.
        """
        session = db.session()
        webhook = load_webhook(session, authenticate(session, Role.ADMIN), webhook_id)
        now = utcnow()
        webhook.previous_salt = webhook.salt
        webhook.previous_valid_until = now + timedelta(seconds=body["grace_seconds"])
        webhook.salt = new_salt()
        webhook.rotated_at = now
        session.commit()
        return with_secret(webhook)


@blp.route("/webhooks/<int:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.arguments(DeliveryArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any], webhook_id: int) -> dict[str, Any]:
        """The delivery log (admin), newest first: status, attempts, each attempt's answer."""
        session = db.session()
        webhook = load_webhook(session, authenticate(session, Role.ADMIN), webhook_id)
        query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
        if "status" in args:
            query = query.where(WebhookDelivery.status == args["status"])
        if "before" in args:
            query = query.where(WebhookDelivery.id < args["before"])
        rows = session.scalars(
            query.order_by(WebhookDelivery.id.desc()).limit(args["limit"] + 1)
        ).all()
        items = rows[: args["limit"]]
        more = len(rows) > args["limit"]
        return {"items": items, "next_cursor": items[-1].id if more else None}


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
class WebhookRedeliver(MethodView):
    @blp.response(202, DeliverySchema)
    def post(self, webhook_id: int, delivery_id: int) -> WebhookDelivery:
        """Send a delivery again (admin), with the same event id, and a fresh round of retries."""
        session = db.session()
        webhook = load_webhook(session, authenticate(session, Role.ADMIN), webhook_id)
        delivery = session.get(WebhookDelivery, delivery_id) if delivery_id <= MAX_ID else None
        if delivery is None or delivery.webhook_id != webhook.id:
            abort(404, message="No such delivery.")
        delivery.status = DeliveryStatus.PENDING
        # A fresh round: the retry cap counts the attempts since the last redelivery.
        delivery.attempts = 0
        session.commit()
        if not enqueue_delivery(current_app.extensions["redis"], delivery.id):
            abort(503, message="The queue is unavailable; retry later.")
        return delivery
