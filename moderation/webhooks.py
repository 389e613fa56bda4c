"""Webhooks: events recorded with their decision, signed deliveries enqueued after the commit.

Exactly one event per decision and event type. ``comment.scored`` is recorded by the policy's
verdict and ``comment.decided`` by a moderator's decision, in the transaction that writes the
decision; the policy's verdict is a compare-and-set on ``pending``, so a scoring job that runs
twice records no second decision and therefore no second event. Each event gets one delivery row
per subscribed webhook (unique on webhook and event). The ids of new deliveries are kept in the
session and enqueued on the ``webhooks`` queue only once the transaction has committed, so a
worker never looks for a row that is not there yet (the listener that does this is installed by
``install``, called by ``create_app`` and by the worker, never on import); a delivery whose
enqueue was lost is re-enqueued by ``moderation.queue.sweep_deliveries``. Delivery is at least
once: receivers de-duplicate on the event id (``Moderation-Event-Id``).

Signing secrets are never stored. A webhook keeps a random salt and its secret is
``HMAC-SHA256(SECRET_KEY, "webhook-signing:" + salt)``: shown once when it is made, recomputed by
the worker that signs. A copy of the database alone reveals no secret. Changing the server's
SECRET_KEY changes every webhook secret (as it changes every e-mail and IP hash): rotate each
webhook afterwards. A rotation keeps the previous salt for a grace period, during which every
delivery carries two signatures, one per secret, so receivers can switch at their own pace.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from moderation.keys import moderator_of
from moderation.queue import enqueue_delivery
from moderation.storage import (
    Comment,
    Decision,
    Site,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    utcnow,
)

logger = logging.getLogger(__name__)

SCORED = "comment.scored"
DECIDED = "comment.decided"
# Events of no decision (``record_action_event``): a reader's report, a moderator's settings on
# an author or a thread, a note, a watch-list made, changed or deleted.
REPORTED = "comment.reported"
AUTHOR_UPDATED = "author.updated"
THREAD_UPDATED = "thread.updated"
NOTE_ADDED = "note.added"
WATCH_LIST_UPDATED = "watch_list.updated"
EVENT_TYPES = (
    SCORED,
    DECIDED,
    REPORTED,
    AUTHOR_UPDATED,
    THREAD_UPDATED,
    NOTE_ADDED,
    WATCH_LIST_UPDATED,
)
SIGNATURE_HEADER = "Moderation-Signature"
# Deliveries waiting in the session for its commit (see the module docstring).
_PENDING_KEY = "moderation.webhook_deliveries"


# -- secrets and signatures -------------------------------------------------------------------


def new_salt() -> str:
    return secrets.token_hex(32)


def signing_secret(secret_key: str, salt: str) -> str:
    """The webhook secret for ``salt`` under the server's SECRET_KEY."""
    digest = hmac.new(secret_key.encode(), f"webhook-signing:{salt}".encode(), hashlib.sha256)
    return "whsec_" + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def signing_secrets(webhook: Webhook, secret_key: str, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous during its grace period."""
    current = [signing_secret(secret_key, webhook.salt)]
    if (
        webhook.previous_salt
        and webhook.previous_valid_until
        and now < webhook.previous_valid_until
    ):
        return [*current, signing_secret(secret_key, webhook.previous_salt)]
    return current


def signature(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex>[,v1=<hex>]``: HMAC-SHA256 of ``"<t>.<body>"`` per secret."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets_]
    return ",".join(parts)


def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """What a receiver does: a fresh timestamp and one matching ``v1`` (the README's recipe)."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in items if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    if abs(time.time() - int(timestamps[0])) > tolerance:
        return False
    expected = signature([secret], int(timestamps[0]), body).split(",", 1)[1].removeprefix("v1=")
    return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")


# -- events -----------------------------------------------------------------------------------


def event_payload(
    event_id: str,
    kind: str,
    site: Site,
    comment: Comment,
    decision: Decision,
    moderator: str | None = None,
) -> dict[str, Any]:
    """What receivers get: the comment as its site may see it (no personal data) and the decision.

    ``moderator`` is who decided (``moderation.keys.moderator_of``): None for the policy.

    Status and reasons come from the decision: the comment row may have been updated by a bulk
    statement that the session's copy has not seen.
    """
    return {
        "id": event_id,
        "type": kind,
        "created_at": decision.created_at.isoformat(),
        "site": site.name,
        "data": {
            "comment": {
                "id": comment.id,
                "client_id": comment.client_id,
                "thread_id": comment.thread_id,
                "status": decision.to_status,
                "reasons": list(decision.reasons),
                "decided_by": decision.actor,
                "scores": dict(comment.scores or {}),
                "model_versions": dict(comment.model_versions or {}),
                "created_at": comment.created_at.isoformat(),
                "links": {"self": f"/v1/comments/{comment.id}"},
            },
            "decision": {
                "id": decision.id,
                "actor": decision.actor,
                "moderator": moderator,
                "action": decision.action,
                "from_status": decision.from_status,
                "to_status": decision.to_status,
                "reasons": list(decision.reasons),
                "note": decision.note,
            },
        },
    }


def subscribed(session: Session, site_id: int, kind: str) -> list[Webhook]:
    """The site's active webhooks that take events of ``kind``."""
    return [
        hook
        for hook in session.scalars(
            select(Webhook).where(Webhook.site_id == site_id, Webhook.active.is_(True))
        )
        if kind in hook.events
    ]


def record_event(session: Session, comment: Comment, decision: Decision, kind: str) -> None:
    """Record the event of a decision and a delivery per subscribed webhook (none: nothing)."""
    hooks = subscribed(session, comment.site_id, kind)
    if not hooks:
        return
    session.flush()  # the decision's id and time
    event_id = f"evt_{uuid.uuid4().hex}"
    site = session.get_one(Site, comment.site_id)
    session.add(
        WebhookEvent(
            id=event_id,
            site_id=comment.site_id,
            comment_id=comment.id,
            decision_id=decision.id,
            type=kind,
            payload=event_payload(
                event_id,
                kind,
                site,
                comment,
                decision,
                moderator_of(session, decision.key_id, decision.actor),
            ),
        )
    )
    add_deliveries(session, hooks, event_id)


def record_action_event(
    session: Session, site: Site, kind: str, data: dict[str, Any], comment_id: str | None = None
) -> None:
    """Record an event of no decision (``data`` is its payload's ``data``) and its deliveries.

    ``data`` must hold nothing personal: receivers get what a site key may read.
    """
    hooks = subscribed(session, site.id, kind)
    if not hooks:
        return
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = {
        "id": event_id,
        "type": kind,
        "created_at": utcnow().isoformat(),
        "site": site.name,
        "data": data,
    }
    session.add(
        WebhookEvent(
            id=event_id, site_id=site.id, comment_id=comment_id, type=kind, payload=payload
        )
    )
    add_deliveries(session, hooks, event_id)


def add_deliveries(session: Session, hooks: list[Webhook], event_id: str) -> None:
    """A delivery of the event per webhook, enqueued once the session commits."""
    session.flush()  # the event before its deliveries (a foreign key)
    deliveries = [WebhookDelivery(webhook_id=hook.id, event_id=event_id) for hook in hooks]
    session.add_all(deliveries)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).extend(delivery.id for delivery in deliveries)


# -- enqueueing after the commit ------------------------------------------------------------

ConnectionSource = Callable[[], Redis | None]
# Where the listener finds a Redis connection, in the order installed (see ``install``).
_sources: list[ConnectionSource] = []


def install(source: ConnectionSource) -> None:
    """Enqueue the deliveries of every committed session on the Redis that ``source`` returns.

    ``source`` returns the connection at hand (the Flask app's, the running job's) or None; the
    first one that gives a connection is used. Installing the same source twice changes nothing.
    """
    if source not in _sources:
        _sources.append(source)
    if not event.contains(Session, "after_commit", _enqueue_after_commit):
        event.listen(Session, "after_commit", _enqueue_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)


def current_connection() -> Redis | None:
    """The first connection an installed source gives, or None."""
    for source in _sources:
        connection = source()
        if connection is not None:
            return connection
    return None


def _enqueue_after_commit(session: Session) -> None:
    delivery_ids = session.info.pop(_PENDING_KEY, None)
    if not delivery_ids:
        return
    connection = current_connection()
    if connection is None:
        logger.warning("no Redis at hand; %d deliveries wait for the sweeper", len(delivery_ids))
        return
    for delivery_id in delivery_ids:
        enqueue_delivery(connection, delivery_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
