"""Coral Talk's external moderation phase and webhooks on the wire: signatures, requests, answers.

Pure functions, no Flask (``coral.py`` holds the views). Coral's contract, not ours, so the
answers are Coral's shapes (204, or 200 with ``moderationAction``/``actions``), not the ``/v1``
JSON error shape:

- Coral signs the raw body: ``X-Coral-Signature: sha256=<hex HMAC-SHA256(secret, body)>``; while
  its secret rotates it sends one signature per live secret, comma-separated. A request is
  authentic when any signature matches any live secret of the site.
- Our verdict maps onto Coral's: ``approved`` → 204 (no action: Coral's own settings go on);
  ``held`` → ``SYSTEM_WITHHELD`` with a ``FLAG`` naming why; ``rejected`` → ``REJECTED`` with a
  rejection reason code; no verdict in time → ``SYSTEM_WITHHELD`` without a flag (fail closed:
  a moderator sees it in Coral's pending queue; Coral itself fails open on errors, so an error
  status here would publish it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from models.labels import SPAM, TOXICITY_LABELS

SIGNATURE_HEADER = "X-Coral-Signature"
SIGNATURE_SCHEME = "sha256="
ACTIONS = ("NEW", "EDIT")
# Coral comment ids, as Coral's Perspective integration names them in clientToken.
CLIENT_ID_PREFIX = "comment:"

FLAG_REASONS = {
    SPAM: "COMMENT_DETECTED_SPAM",
    "banned_word": "COMMENT_DETECTED_BANNED_WORD",
    "suspect_word": "COMMENT_DETECTED_SUSPECT_WORD",
    **dict.fromkeys(TOXICITY_LABELS, "COMMENT_DETECTED_TOXIC"),
}
# Our reason → Coral's rejection reason code; the first reason with a code wins.
REJECTION_CODES = {
    SPAM: "SPAM",
    "banned_word": "BANNED_WORD",
    "identity_attack": "HATE_SPEECH",
    "threat": "ABUSIVE",
    "insult": "ABUSIVE",
    "severe_toxicity": "ABUSIVE",
    "toxicity": "ABUSIVE",
    "profanity": "OFFENSIVE",
}
# Coral's webhook events that carry a moderator's decision, and the decision each status means.
DECISION_EVENTS = frozenset({"COMMENT_LEFT_MODERATION_QUEUE"})
STATUS_ACTIONS = {"APPROVED": "approve", "REJECTED": "reject"}


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the signature Coral sends for ``body``."""
    return SIGNATURE_SCHEME + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signatures(header: str | None) -> list[str]:
    """The hex digests of a ``sha256=a,sha256=b`` header (other schemes ignored)."""
    found = []
    for part in (header or "").split(","):
        part = part.strip()
        if part.lower().startswith(SIGNATURE_SCHEME):
            found.append(part[len(SIGNATURE_SCHEME) :].lower())
    return found


def verify(header: str | None, body: bytes, secrets_: Iterable[str]) -> bool:
    """Whether any signature in ``header`` is the HMAC of ``body`` under any of ``secrets_``."""
    given = signatures(header)
    if not given:
        return False
    expected = [sign(secret, body)[len(SIGNATURE_SCHEME) :] for secret in secrets_]
    # Every pair is compared (no early exit) so timing says nothing about which one matched.
    matched = False
    for digest in given:
        for wanted in expected:
            matched |= hmac.compare_digest(digest, wanted)
    return matched


class CoralRequestError(ValueError):
    """The body is not a Coral external moderation request (or webhook event)."""


@dataclass(frozen=True)
class ModerationRequest:
    action: str
    body: str
    comment_id: str | None
    parent_id: str | None
    author_id: str | None
    author_role: str | None
    story_id: str | None
    story_url: str | None

    @property
    def client_id(self) -> str | None:
        return CLIENT_ID_PREFIX + self.comment_id if self.comment_id else None


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CoralRequestError(f"{name} must be an object")
    return value


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise CoralRequestError(f"{name} must be a string")
    return str(value)


def parse_request(body: Any) -> ModerationRequest:
    """Check the fields we read; the others (``tenantID``, ``site``, ...) are Coral's business."""
    body = _object(body, "the body")
    action = body.get("action", "NEW")
    if action not in ACTIONS:
        raise CoralRequestError(f"action must be one of {', '.join(ACTIONS)}")
    comment = _object(body.get("comment"), "comment")
    text = comment.get("body")
    if not isinstance(text, str):
        raise CoralRequestError("comment.body must be a string")
    author = _object(body.get("author"), "author")
    story = _object(body.get("story"), "story")
    return ModerationRequest(
        action=action,
        body=text,
        comment_id=_string(comment.get("id"), "comment.id"),
        parent_id=_string(comment.get("parentID"), "comment.parentID"),
        author_id=_string(author.get("id"), "author.id"),
        author_role=_string(author.get("role"), "author.role"),
        story_id=_string(story.get("id"), "story.id"),
        story_url=_string(story.get("url"), "story.url"),
    )


def moderation_answer(status: str, reasons: list[str]) -> dict[str, Any] | None:
    """Coral's answer for our verdict; None means 204 (no action)."""
    if status == "approved":
        return None
    if status == "pending" or "unscored" in reasons:
        return {"moderationAction": {"status": "SYSTEM_WITHHELD"}}
    if status == "held":
        flags = sorted({FLAG_REASONS[r] for r in reasons if r in FLAG_REASONS})
        answer: dict[str, Any] = {"moderationAction": {"status": "SYSTEM_WITHHELD"}}
        if flags:
            answer["actions"] = [{"actionType": "FLAG", "reason": flag} for flag in flags]
        return answer
    code = next((REJECTION_CODES[r] for r in reasons if r in REJECTION_CODES), "OTHER")
    return {"moderationAction": {"status": "REJECTED", "rejectionReason": {"code": code}}}


@dataclass(frozen=True)
class DecisionEvent:
    """A webhook event in which a Coral moderator decided a comment."""

    event_id: str | None
    comment_id: str
    action: str

    @property
    def client_id(self) -> str:
        return CLIENT_ID_PREFIX + self.comment_id


def parse_event(body: Any) -> DecisionEvent | None:
    """The moderator decision in a Coral webhook event; None for events that carry none."""
    body = _object(body, "the body")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise CoralRequestError("type must be a string")
    if kind not in DECISION_EVENTS:
        return None
    data = _object(body.get("data"), "data")
    comment_id = _string(data.get("commentID"), "data.commentID")
    status = data.get("status")
    if not comment_id:
        raise CoralRequestError("data.commentID is required")
    if status not in STATUS_ACTIONS:
        return None
    return DecisionEvent(_string(body.get("id"), "id"), comment_id, STATUS_ACTIONS[status])
