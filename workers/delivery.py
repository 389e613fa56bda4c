"""Send one webhook delivery: count the attempt, sign, POST it, log the answer; raise so RQ
retries with back-off.

The attempt is committed before the request goes out (its log entry says it is in progress), so
an attempt cut short by a killed worker still counts, and the retry cap holds whoever sends the
delivery again (RQ's retry, the sweeper): after ``max_attempts()`` attempts it is ``failed``.
The POST goes through ``workers.outbound``: the receiver's address is checked at the moment of
sending and the connection pinned to it, the whole exchange has a deadline, and nothing of the
answer but its status line is read or kept. A delivery already delivered is not sent again (a
retry racing a redelivery, the sweeper). Redirects are not followed: the registered URL is the
one that receives events.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from moderation import metrics, queue
from moderation.exceptions import WebhookDeliveryError
from moderation.queue import ATTEMPT_IN_PROGRESS
from moderation.storage import DeliveryStatus, Webhook, WebhookDelivery, db, utcnow
from moderation.webhooks import SIGNATURE_HEADER, signature, signing_secrets
from workers import outbound

logger = logging.getLogger(__name__)

# Attempts kept in a delivery's log.
LOG_LENGTH = 20


def max_attempts() -> int:
    """The first attempt and one per retry interval."""
    return len(queue.WEBHOOK_RETRY_INTERVALS) + 1


@dataclass(frozen=True)
class Attempt:
    """An attempt as it starts: its number and the request to send."""

    number: int
    url: str
    body: bytes
    headers: dict[str, str]


def log_entry(**values: Any) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), "status_code": None, "status_line": None,
            "error": None, "duration_ms": None, **values}  # fmt: skip


def start_attempt(delivery_id: int, secret_key: str) -> Attempt | None:
    """Count and log an attempt and build its request, committed; None if nothing is to send.

    Nothing is sent for a delivery that is gone, delivered or failed, or whose webhook is paused
    (the sweeper sends it once the webhook is resumed). A delivery whose attempts are used up is
    marked ``failed`` here, whatever brought it back.
    """
    with db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        webhook, event = delivery.webhook, delivery.event
        if not webhook.active:
            return None
        if delivery.attempts >= max_attempts():
            delivery.status = DeliveryStatus.FAILED
            gave_up = log_entry(error=f"gave up after {delivery.attempts} attempts")
            delivery.log = [*delivery.log, gave_up][-LOG_LENGTH:]
            logger.warning("delivery %s failed for good: no attempts left", delivery_id)
            return None
        delivery.attempts += 1
        delivery.log = [*delivery.log, log_entry(error=ATTEMPT_IN_PROGRESS)][-LOG_LENGTH:]
        body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "moderation-webhooks/1",
            "Moderation-Event-Id": event.id,
            "Moderation-Event-Type": event.type,
            "Moderation-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(
                signing_secrets(webhook, secret_key, utcnow()), timestamp, body
            ),
        }
        return Attempt(delivery.attempts, webhook.url, body, headers)


def answer_entry(answer: outbound.Answer) -> dict[str, Any]:
    """The log entry of an answer: status code and line, the error, the time taken."""
    error = answer.error
    if error is None and answer.status_code is not None and not 200 <= answer.status_code < 300:
        error = f"HTTP {answer.status_code}"
    return {
        "status_code": answer.status_code,
        "status_line": answer.status_line,
        "error": error,
        "duration_ms": answer.duration_ms,
    }


def record(delivery_id: int, entry: dict[str, Any], last_attempt: bool) -> str:
    """Put the answer in the attempt's log entry and set the delivery's status; the status."""
    with db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "missing"
        log = list(delivery.log)
        if log and log[-1].get("error") == ATTEMPT_IN_PROGRESS:
            log[-1] = {**log[-1], **entry}
        else:  # the log was cut meanwhile (a redelivery): the answer is logged on its own
            log.append(log_entry(**entry))
        delivery.log = log[-LOG_LENGTH:]
        if entry["error"] is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = utcnow()
        elif last_attempt or delivery.attempts >= max_attempts():
            delivery.status = DeliveryStatus.FAILED
        return delivery.status


def site_of(delivery_id: int) -> int | None:
    """The site whose webhook a delivery goes to (its lane, ``workers.lanes``); None if gone."""
    with db.transaction() as session:
        return session.scalar(
            select(Webhook.site_id)
            .join(WebhookDelivery, WebhookDelivery.webhook_id == Webhook.id)
            .where(WebhookDelivery.id == delivery_id)
        )


def deliver(delivery_id: int, secret_key: str, last_attempt: bool, *, allow_private: bool) -> str:
    """Send a delivery once; raise WebhookDeliveryError for RQ to retry unless it is the last.

    ``last_attempt`` is the job's view (no RQ retries left); the delivery's own count of
    attempts ends it too. ``allow_private`` lets receivers on loopback and private networks in.
    """
    attempt = start_attempt(delivery_id, secret_key)
    if attempt is None:
        return "skipped"
    answer = outbound.post(attempt.url, attempt.body, attempt.headers, allow_private=allow_private)
    entry = answer_entry(answer)
    status = record(delivery_id, entry, last_attempt)
    if entry["error"] is not None:
        metrics.WEBHOOK_FAILURES.labels("yes" if status == DeliveryStatus.FAILED else "no").inc()
    if status == DeliveryStatus.PENDING:
        logger.warning("delivery %s failed, will retry: %s", delivery_id, entry["error"])
        raise WebhookDeliveryError(f"delivery {delivery_id}: {entry['error']}")
    if status == DeliveryStatus.FAILED:
        logger.warning("delivery %s failed for good: %s", delivery_id, entry["error"])
    return status
