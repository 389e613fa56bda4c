"""Send one webhook delivery: sign, POST, log the attempt; raise so RQ retries with back-off.

A delivery already delivered is not sent again (a retry racing a redelivery, the sweeper). The
last attempt marks the delivery ``failed`` instead of raising. Redirects are not followed: the
registered URL is the one that receives events.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

from moderation import metrics
from moderation.exceptions import WebhookDeliveryError
from moderation.storage import DeliveryStatus, WebhookDelivery, db, utcnow
from moderation.webhooks import SIGNATURE_HEADER, signature, signing_secrets

logger = logging.getLogger(__name__)

# Seconds to connect and to wait for the answer; a receiver should answer fast and work later.
TIMEOUT = (3, 10)
# Attempts kept in a delivery's log.
LOG_LENGTH = 20


def prepare(delivery_id: int, secret_key: str) -> tuple[str, bytes, dict[str, str]] | None:
    """The URL, body and headers of a delivery still to send; None if there is nothing to send."""
    with db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
            return None
        webhook, event = delivery.webhook, delivery.event
        if not webhook.active:
            return None
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
        return webhook.url, body, headers


def post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """One attempt, as a log entry: time, HTTP status (None if no answer), error, duration."""
    started = time.monotonic()
    entry: dict[str, Any] = {"at": utcnow().isoformat(), "status_code": None, "error": None}
    try:
        response = requests.post(
            url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
        entry["status_code"] = response.status_code
        if not 200 <= response.status_code < 300:
            entry["error"] = f"HTTP {response.status_code}: {response.text[:200]}"
    except requests.RequestException as error:
        entry["error"] = f"{type(error).__name__}: {error}"[:500]
    entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return entry


def record(delivery_id: int, entry: dict[str, Any], last_attempt: bool) -> str:
    """Log the attempt on the delivery and set its status; the status."""
    with db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "missing"
        delivery.attempts += 1
        delivery.log = [*delivery.log, entry][-LOG_LENGTH:]
        if entry["error"] is None:
            delivery.status = DeliveryStatus.DELIVERED.value
            delivery.delivered_at = utcnow()
        elif last_attempt:
            delivery.status = DeliveryStatus.FAILED.value
        return delivery.status


def deliver(delivery_id: int, secret_key: str, last_attempt: bool) -> str:
    """Send a delivery once; raise WebhookDeliveryError for RQ to retry unless it is the last."""
    prepared = prepare(delivery_id, secret_key)
    if prepared is None:
        return "skipped"
    entry = post(*prepared)
    status = record(delivery_id, entry, last_attempt)
    if entry["error"] is not None:
        final = "yes" if status == DeliveryStatus.FAILED.value else "no"
        metrics.WEBHOOK_FAILURES.labels(final).inc()
    if status == DeliveryStatus.PENDING.value:
        logger.info("delivery %s failed, will retry: %s", delivery_id, entry["error"])
        raise WebhookDeliveryError(f"delivery {delivery_id}: {entry['error']}")
    if status == DeliveryStatus.FAILED.value:
        logger.warning("delivery %s failed for good: %s", delivery_id, entry["error"])
    return status
