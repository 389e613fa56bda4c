"""Turn scores and a site's policy into a verdict with reasons.

A site's policy is a JSON object stored with the site; every key is optional and falls back to
``DEFAULT_POLICY``. Per label, ``hold`` is the score at or above which a comment waits for a
moderator (default: the threshold shipped with the model, chosen on held-out data) and ``reject``
the score at or above which it is rejected outright (default: only near-certain spam and severe
toxicity). Rejecting wins over holding; a comment with no reason is approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Used when neither the site nor the model manifest gives a hold threshold.
FALLBACK_HOLD = 0.5

DEFAULT_POLICY: dict[str, Any] = {
    # label -> {"hold": p | None, "reject": p | None}; None for hold means "the model's threshold".
    "thresholds": {
        "spam": {"hold": None, "reject": 0.97},
        "toxicity": {"hold": None, "reject": None},
        "severe_toxicity": {"hold": None, "reject": 0.95},
        "insult": {"hold": None, "reject": None},
        "identity_attack": {"hold": None, "reject": None},
        "threat": {"hold": None, "reject": None},
        "profanity": {"hold": None, "reject": None},
    },
    # Hold every comment for a moderator, whatever its scores.
    "premoderation": False,
}


@dataclass(frozen=True)
class Verdict:
    status: str
    reasons: list[str] = field(default_factory=list)


def merged(site_policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The site's policy with every missing key taken from DEFAULT_POLICY."""
    site_policy = dict(site_policy or {})
    thresholds = {
        label: {**limits, **(site_policy.get("thresholds", {}).get(label) or {})}
        for label, limits in DEFAULT_POLICY["thresholds"].items()
    }
    for label, limits in site_policy.get("thresholds", {}).items():
        thresholds.setdefault(label, dict(limits))
    return {**DEFAULT_POLICY, **site_policy, "thresholds": thresholds}


def decide(
    scores: Mapping[str, float],
    site_policy: Mapping[str, Any] | None = None,
    model_thresholds: Mapping[str, float] | None = None,
) -> Verdict:
    """The verdict for one comment's scores under a site's policy."""
    policy = merged(site_policy)
    model_thresholds = model_thresholds or {}
    rejected: list[str] = []
    held: list[str] = []
    for label, limits in policy["thresholds"].items():
        if label not in scores:
            continue
        score = scores[label]
        reject_at = limits.get("reject")
        hold_at = limits.get("hold")
        if hold_at is None:
            hold_at = model_thresholds.get(label, FALLBACK_HOLD)
        if reject_at is not None and score >= reject_at:
            rejected.append(label)
        elif score >= hold_at:
            held.append(label)
    if rejected:
        return Verdict("rejected", rejected + held)
    if held:
        return Verdict("held", held)
    if policy.get("premoderation"):
        return Verdict("held", ["premoderation"])
    return Verdict("approved", [])


def unscored() -> Verdict:
    """The verdict for a comment no model could score: a moderator decides (fail closed)."""
    return Verdict("held", ["unscored"])
