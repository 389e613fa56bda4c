"""Coral Talk's external moderation phase and webhooks on the wire: signatures, requests, answers.

Pure functions, no Flask (``coral.py`` holds the views). Coral's contract, not ours, so the
answers are Coral's shapes (204, or 200 with ``moderationAction``/``actions``), not the ``/v1``
JSON error shape:

- Coral signs the raw body: ``X-Coral-Signature: sha256=<hex HMAC-SHA256(secret, body)>``; while
  its secret rotates it sends one signature per live secret, comma-separated. A request is
  authentic when any signature matches any live secret of the site.
- Our verdict maps onto Coral's, as a top-level ``status`` (Coral's pipeline ends on the first
  phase result with a ``status``, and creates the comment with it): ``approved`` → 204 (no
  action: Coral's own settings go on); ``held`` → ``status: SYSTEM_WITHHELD`` with a ``FLAG``
  when a model held it (Coral's schema allows only ``COMMENT_DETECTED_TOXIC`` and
  ``COMMENT_DETECTED_SPAM``; anything else fails the whole answer, and Coral then publishes);
  ``rejected`` → ``status: REJECTED`` plus a ``moderationAction`` with the rejection reason code
  (Coral tells the author why); no verdict in time → ``SYSTEM_WITHHELD`` without a flag (fail
  closed: a moderator sees it in Coral's pending queue; Coral itself fails open on errors, so an
  error status here would publish it). A held comment never gets a ``moderationAction``: Coral
  sends its author a "rejected" notification for every one.
- Webhook events: ``COMMENT_CREATED``, ``COMMENT_REPLY_CREATED`` and
  ``COMMENT_ENTERED_MODERATION_QUEUE`` carry the new comment's Coral id with its story (never
  its text): they link it to the comment the phase stored (``coral_links``);
  ``COMMENT_LEFT_MODERATION_QUEUE`` with ``APPROVED``/``REJECTED`` is a Coral moderator's
  decision. Every event must carry its ``id`` and ``createdAt`` (replays are refused by both).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.labels import SPAM, TOXICITY_LABELS
from moderation.storage import CommentStatus, Reason

SIGNATURE_HEADER = "X-Coral-Signature"
SIGNATURE_SCHEME = "sha256="
ACTIONS = ("NEW", "EDIT")
# Coral comment ids, as Coral's Perspective integration names them in clientToken.
CLIENT_ID_PREFIX = "comment:"

# The only flag reasons Coral's answer schema accepts (external.ts); a word-list hold has none.
FLAG_REASONS = {
    SPAM: "COMMENT_DETECTED_SPAM",
    **dict.fromkeys(TOXICITY_LABELS, "COMMENT_DETECTED_TOXIC"),
}
# Our reason → Coral's rejection reason code; the first reason with a code wins.
REJECTION_CODES = {
    SPAM: "SPAM",
    Reason.BANNED_WORD: "BANNED_WORD",
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
# Events that carry a new comment's id and story: they link it to the comment the phase stored.
LINK_EVENTS = frozenset(
    {"COMMENT_CREATED", "COMMENT_REPLY_CREATED", "COMMENT_ENTERED_MODERATION_QUEUE"}
)
# Coral's statuses of a published comment and of a withheld one.
PUBLISHED = frozenset({"NONE", "APPROVED"})
WITHHELD = frozenset({"PREMOD", "SYSTEM_WITHHELD"})


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


def flags(reasons: list[str]) -> list[dict[str, str]]:
    """``FLAG`` actions for the reasons Coral's schema has a flag for (models' labels only)."""
    found = sorted({FLAG_REASONS[r] for r in reasons if r in FLAG_REASONS})
    return [{"actionType": "FLAG", "reason": flag} for flag in found]


def moderation_answer(status: str, reasons: list[str]) -> dict[str, Any] | None:
    """Coral's answer for our verdict; None means 204 (no action)."""
    if status == CommentStatus.APPROVED:
        return None
    if status == CommentStatus.PENDING or Reason.UNSCORED in reasons:
        return {"status": "SYSTEM_WITHHELD"}
    rejected = status == CommentStatus.REJECTED
    answer: dict[str, Any] = {"status": "REJECTED" if rejected else "SYSTEM_WITHHELD"}
    if found := flags(reasons):
        answer["actions"] = found
    if status == "rejected":
        code = next((REJECTION_CODES[r] for r in reasons if r in REJECTION_CODES), "OTHER")
        answer["moderationAction"] = {"status": "REJECTED", "rejectionReason": {"code": code}}
    return answer


# What Coral tells the author of a comment refused because its story is closed here.
CLOSED_REASON = "Comments on this story are closed."


def closed_answer() -> dict[str, Any]:
    """Our answer for a comment on a story a moderator closed: ``REJECTED``, the pipeline ends.

    Coral creates it rejected (never published, not in a queue: a closed thread refuses, as
    ``/v1``'s 409 does) and tells its author why (code ``OTHER`` with the reason in words).
    """
    reason = {"code": "OTHER", "customReason": CLOSED_REASON}
    return {
        "status": "REJECTED",
        "moderationAction": {"status": "REJECTED", "rejectionReason": reason},
    }


@dataclass(frozen=True)
class Event:
    """A webhook event about one comment: a link (its Coral id) or a Coral moderator's decision.

    ``action`` is the decision (``approve``/``reject``) of a decision event, else None;
    ``status`` is Coral's status of the comment; ``queue`` the moderation queue it entered or
    left (``PENDING``, ``REPORTED``, ``UNMODERATED``), if the event names one.
    """

    kind: str
    event_id: str
    created_at: datetime
    comment_id: str
    story_id: str | None
    status: str | None
    action: str | None
    queue: str | None = None

    @property
    def is_report(self) -> bool:
        """Readers flagged the comment: it entered Coral's reported queue."""
        return self.kind == "COMMENT_ENTERED_MODERATION_QUEUE" and self.queue == "REPORTED"

    @property
    def client_id(self) -> str:
        return CLIENT_ID_PREFIX + self.comment_id


def event_time(value: Any) -> datetime:
    """Coral's ``createdAt`` (ISO 8601, ``Z`` or an offset) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise CoralRequestError("createdAt must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CoralRequestError("createdAt must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise CoralRequestError("createdAt must have a time zone")
    return moment.astimezone(UTC)


def parse_event(body: Any) -> Event | None:
    """The link or decision in a Coral webhook event; None for events that carry neither."""
    body = _object(body, "the body")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise CoralRequestError("type must be a string")
    if kind not in DECISION_EVENTS and kind not in LINK_EVENTS:
        return None
    event_id = _string(body.get("id"), "id")
    if not event_id:
        raise CoralRequestError("id is required")
    created_at = event_time(body.get("createdAt"))
    data = _object(body.get("data"), "data")
    comment_id = _string(data.get("commentID"), "data.commentID")
    if not comment_id:
        raise CoralRequestError("data.commentID is required")
    status = _string(data.get("status"), "data.status")
    action = STATUS_ACTIONS.get(status or "") if kind in DECISION_EVENTS else None
    if kind in DECISION_EVENTS and action is None:
        return None
    story_id = _string(data.get("storyID"), "data.storyID")
    queue = _string(data.get("queue"), "data.queue")
    return Event(kind, event_id[:100], created_at, comment_id, story_id, status, action, queue)
