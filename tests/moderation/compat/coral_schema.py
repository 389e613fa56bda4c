"""A test-side copy of the rules of Coral's answer schema (Joi, external.ts:106-167) and request.

Coral validates an external phase's answer with Joi, strips unknown keys, and treats any error as
a failed phase (the comment is then published). These are the rules it applies, checked here so
that every answer the tests see is one Coral accepts; and Coral's request, built as Coral builds it
(external.ts:192-217, serialised by fetch.ts:46 as ``JSON.stringify(data, null, 2)``).
"""

from __future__ import annotations

import json
from typing import Any

COMMENT_STATUS = {"NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"}
TAGS = {"FEATURED", "STAFF"}
FLAG_REASONS = {"COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"}
REJECTION_CODES = {
    "OFFENSIVE", "ABUSIVE", "SPAM", "BANNED_WORD", "AD", "ILLEGAL_CONTENT",
    "HARASSMENT_BULLYING", "MISINFORMATION", "HATE_SPEECH", "IRRELEVANT_CONTENT", "OTHER",
}  # fmt: skip


def schema_errors(answer: Any) -> list[str]:
    """Every rule of Coral's phase-answer schema that ``answer`` breaks ([] when Coral takes it)."""
    if not isinstance(answer, dict):
        return ["not an object"]
    errors = []
    if "status" in answer and answer["status"] not in COMMENT_STATUS:
        errors.append(f"status {answer['status']!r}")
    for tag in answer.get("tags", []):
        if tag not in TAGS:
            errors.append(f"tag {tag!r}")
    for action in answer.get("actions", []):
        if action.get("actionType") != "FLAG" or action.get("reason") not in FLAG_REASONS:
            errors.append(f"action {action!r}")
    if "moderationAction" in answer:
        moderation = answer["moderationAction"]
        if moderation.get("status") not in COMMENT_STATUS:
            errors.append(f"moderationAction.status {moderation.get('status')!r}")
        reason = moderation.get("rejectionReason")
        if reason is not None and reason.get("code") not in REJECTION_CODES:
            errors.append(f"rejectionReason {reason!r}")
    return errors


def ends_pipeline(answer: Any) -> bool:
    """Whether Coral's pipeline stops at this answer (mergePhaseResult: a ``status`` is set)."""
    return isinstance(answer, dict) and answer.get("status") is not None


def phase_request(
    html: str, *, story: str = "story-1", author: str = "user-1",
    url: str = "https://blog.example/2026/charts",
) -> bytes:  # fmt: skip
    """The body Coral's external phase posts: no comment id (Coral has not created it yet)."""
    data = {
        "action": "NEW",
        "comment": {"body": html, "parentID": None},
        "author": {"id": author, "role": "COMMENTER"},
        "story": {"id": story, "url": url},
        "site": {"id": "coral-site-1"},
        "tenantID": "tenant-1",
        "tenantDomain": "blog.example",
    }
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def webhook_event(kind: str, event_id: str, created_at: str, data: dict[str, Any]) -> bytes:
    """A webhook delivery as Coral's processor builds it (event.ts, processor.ts)."""
    envelope = {
        "id": event_id,
        "createdAt": created_at,
        "data": data,
        "type": kind,
        "tenantID": "tenant-1",
        "tenantDomain": "blog.example",
    }
    return json.dumps(envelope, indent=2, ensure_ascii=False).encode()
