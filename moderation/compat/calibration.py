"""``summaryScore`` on the site's policy scale: what the policy holds scores above 0.8.

Coral publishes a comment unless Perspective's TOXICITY ``summaryScore`` is strictly greater than
its threshold, 0.8 by default; our models' probabilities are not Perspective's, and the site's
policy holds at its own thresholds (a threat at 0.45 may be held here, and published by Coral).
So the Perspective endpoint answers on a calibrated scale, anchored at the site's hold thresholds:

- per label, a monotone piecewise-linear map: ``[0, hold)`` → ``[0, 0.8)`` and ``[hold, 1]`` →
  ``[0.81, 1]``; a score at or above the site's hold threshold is always above Coral's 0.8, and
  one below it is always at or below 0.8 (the order of scores is kept, so any other threshold a
  site sets in Coral still ranks comments as the models do);
- ``TOXICITY`` is the highest of the toxicity labels' calibrated scores (``toxicity``,
  ``severe_toxicity``, ``insult``, ``identity_attack``, ``threat``, ``profanity``): Coral asks
  only for TOXICITY, and our policy holds a threat as a threat;
- when the site's verdict for the comment is known (held or rejected), the attributes its reasons
  name (a label, or a listed word for TOXICITY) score at least 0.81, so a word the site lists is
  held by Coral too.

The hold threshold of a label is the site's (``thresholds.<label>.hold``), else the model's
(chosen on held-out data), else ``policy.FALLBACK_HOLD``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from models.labels import SPAM, TOXICITY_LABELS
from moderation.policy import FALLBACK_HOLD, merged
from moderation.storage import Reason

# Coral's default: toxic when the score is strictly greater than 0.8 (TOXICITY_THRESHOLD_DEFAULT).
CORAL_THRESHOLD = 0.8
# Where a score at the hold threshold lands: clearly above Coral's threshold.
HELD_FLOOR = 0.81
TOXICITY = "toxicity"
WORD_REASONS = frozenset({Reason.BANNED_WORD, Reason.SUSPECT_WORD})
HELD_STATUSES = frozenset({"held", "rejected"})


def calibrated(value: float, hold: float) -> float:
    """``value`` on the policy scale for a label held at ``hold`` (both in [0, 1])."""
    value = min(1.0, max(0.0, float(value)))
    hold = min(1.0, max(0.0, float(hold)))
    if value >= hold:
        if hold >= 1.0:
            return 1.0
        return HELD_FLOOR + (1.0 - HELD_FLOOR) * (value - hold) / (1.0 - hold)
    return CORAL_THRESHOLD * value / hold


def hold_thresholds(
    site_policy: Mapping[str, Any] | None, model_thresholds: Mapping[str, float] | None
) -> dict[str, float]:
    """Per label, the score at or above which the site's policy holds it."""
    holds = {}
    for label, limits in merged(site_policy)["thresholds"].items():
        hold = limits.get("hold")
        if hold is None:
            hold = (model_thresholds or {}).get(label, FALLBACK_HOLD)
        holds[label] = float(hold)
    return holds


def floors(status: str | None, reasons: Iterable[str]) -> set[str]:
    """The labels a held or rejected verdict's reasons put at or above the threshold."""
    if status not in HELD_STATUSES:
        return set()
    floored = set()
    for reason in reasons:
        if reason in WORD_REASONS:
            floored.add(TOXICITY)
        elif reason == SPAM or reason in TOXICITY_LABELS:
            floored.add(reason)
            if reason in TOXICITY_LABELS:
                floored.add(TOXICITY)
    return floored


def policy_scores(
    scores: Mapping[str, float],
    holds: Mapping[str, float],
    status: str | None = None,
    reasons: Iterable[str] = (),
) -> dict[str, float]:
    """Every label's score on the policy scale (``toxicity``: the toxicity labels' highest)."""
    result = {
        label: calibrated(value, holds.get(label, FALLBACK_HOLD)) for label, value in scores.items()
    }
    family = [result[label] for label in TOXICITY_LABELS if label in result]
    if family:
        result[TOXICITY] = max(family)
    for label in floors(status, reasons):
        if label in result:
            result[label] = max(result[label], HELD_FLOOR)
    return result
