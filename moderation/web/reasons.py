"""Each reason of a verdict in words, so a moderator sees why a comment was held at a glance.

A label's reason names its score beside the site's threshold as it stands now (the policy may have
changed since the verdict; the scores have not).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.labels import LABELS
from moderation.storage import Reason

POLICY_REASONS = {
    Reason.BANNED_WORD: "a banned word",
    Reason.SUSPECT_WORD: "a suspect word",
    Reason.PREMODERATION: "the site holds every comment (pre-moderation)",
    Reason.TRUSTED_AUTHOR: "a trusted author, held because a model was near-certain",
    Reason.UNSCORED: "no model could score it",
    Reason.SHADOW_HELD: "shadow mode: published, would have been held",
    Reason.SHADOW_REJECTED: "shadow mode: published, would have been rejected",
}


def reason_texts(
    comment: Any, thresholds: Mapping[str, Mapping[str, float | None]]
) -> list[tuple[str, str]]:
    """(reason, what it means for this comment) for each reason of the comment's verdict."""
    scores = comment.scores or {}
    found = []
    for reason in comment.reasons or []:
        if reason in LABELS and reason in scores:
            limits = thresholds.get(reason, {})
            hold, reject = limits.get("hold"), limits.get("reject")
            score = float(scores[reason])
            if reject is not None and score >= reject:
                limit = f"rejects at {reject:.2f}"
            elif hold is not None:
                limit = f"holds at {hold:.2f}"
            else:
                limit = "no threshold set"
            found.append((reason, f"{reason} scored {score:.2f} (the site {limit})"))
        else:
            words = spans_text(comment.explanations, reason)
            text = POLICY_REASONS.get(reason, reason.replace("_", " "))
            found.append((reason, f"{text}: {words}" if words else text))
    return found


def spans_text(explanations: Mapping[str, Any] | None, reason: str) -> str:
    """The listed words found for a word reason, as they stand in the comment."""
    items = (explanations or {}).get(reason)
    if not isinstance(items, list):
        return ""
    words = dict.fromkeys(str(item.get("text", "")) for item in items if isinstance(item, dict))
    return ", ".join(word for word in words if word)
