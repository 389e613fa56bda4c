"""What the stats and policy pages compute beyond ``moderation.stats``: thresholds and previews.

The queries are ``moderation.stats``'s; this module works on what they return.

- ``suggestions``: for a label whose automatic holds (or rejections) moderators often overturn,
  the threshold that would have kept the overturn rate of what remains at ``TARGET_RATE``, with
  what that change would have cost (confirmed verdicts that would have been published instead).
  Worked out from the stored scores of the comments moderators reviewed.
- ``score_bins`` and ``shares``: the held and rejected share a label's thresholds would have
  produced over a window, from the comments' stored scores; the page's script recomputes the
  same shares from the same bins as an admin edits a threshold.
- ``bars``: the geometry of the overturn chart, an inline SVG drawn by the template.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from moderation.policy import FALLBACK_HOLD, merged
from moderation.stats import Review, Scope, reviewed_verdicts, scores_since

# A threshold is suggested when at least this many verdicts were reviewed and at least this share
# of them was overturned; the suggestion aims at TARGET_RATE among the verdicts it keeps.
MIN_REVIEWED = 5
SUGGEST_ABOVE_RATE = 0.3
TARGET_RATE = 0.2
# Scores are binned to this many steps of [0, 1] for previews: thresholds are read to 0.001.
BINS = 1000


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: str  # "hold" or "reject": which threshold to raise
    reviewed: int
    overturned: int
    threshold: float  # the suggested value
    avoided: int  # overturned verdicts the suggested threshold would not have made
    missed: int  # confirmed verdicts it would not have made either (published instead)


def suggest(label: str, kind: str, reviews: Sequence[Review]) -> Suggestion | None:
    """The lowest threshold above which at most TARGET_RATE of the reviewed verdicts were
    overturned; None when too few were reviewed or the rate is already acceptable."""
    overturned = sum(review.overturned for review in reviews)
    if len(reviews) < MIN_REVIEWED or overturned / len(reviews) < SUGGEST_ABOVE_RATE:
        return None
    ordered = sorted(reviews, key=lambda review: review.score)
    for index, review in enumerate(ordered):
        kept = ordered[index:]
        if sum(r.overturned for r in kept) <= TARGET_RATE * len(kept):
            dropped = ordered[:index]
            return Suggestion(
                label=label,
                kind=kind,
                reviewed=len(reviews),
                overturned=overturned,
                threshold=math.floor(review.score * 100) / 100,
                avoided=sum(r.overturned for r in dropped),
                missed=sum(not r.overturned for r in dropped),
            )
    # Even the highest scores were overturned: no threshold keeps the rate; suggest never.
    return Suggestion(label, kind, len(reviews), overturned, 1.0, overturned, 0)


def suggestions(session: Session, scope: Scope) -> list[Suggestion]:
    """A suggestion per (label, threshold kind) whose reviewed verdicts call for one."""
    found = []
    for (label, kind), reviews in sorted(reviewed_verdicts(session, scope).items()):
        suggestion = suggest(label, kind, reviews)
        if suggestion is not None:
            found.append(suggestion)
    return found


def current_thresholds(
    site_policy: Mapping[str, Any] | None, from_models: Mapping[str, float]
) -> dict[str, dict[str, float | None]]:
    """Per label, the hold and reject thresholds in force (hold left to the model filled in)."""
    thresholds = {}
    for label, limits in merged(site_policy)["thresholds"].items():
        hold = limits.get("hold")
        thresholds[label] = {
            "hold": hold if hold is not None else from_models.get(label, FALLBACK_HOLD),
            "reject": limits.get("reject"),
        }
    return thresholds


def bin_of(score: float) -> int:
    # Rounded first so that 0.29 * 1000 = 289.99999... lands in bin 290.
    return min(BINS, max(0, math.floor(round(score * BINS, 6))))


def score_bins(
    session: Session, site_id: int, since: datetime, labels: Iterable[str]
) -> tuple[int, dict[str, dict[int, int]]]:
    """The number of scored comments of the site since ``since``, and per label the count of
    comments per score bin (sparse)."""
    labels = tuple(labels)
    bins: dict[str, dict[int, int]] = {label: {} for label in labels}
    total = 0
    for scores in scores_since(session, site_id, since):
        total += 1
        for label in labels:
            value = scores.get(label)
            if isinstance(value, int | float) and math.isfinite(value):
                slot = bin_of(float(value))
                bins[label][slot] = bins[label].get(slot, 0) + 1
    return total, bins


def at_or_above(bins: Mapping[int, int], threshold: float | None) -> int:
    if threshold is None:
        return 0
    first = math.ceil(round(threshold * BINS, 6))
    return sum(count for slot, count in bins.items() if slot >= first)


def shares(
    total: int, bins: Mapping[int, int], hold: float | None, reject: float | None
) -> dict[str, float | None]:
    """The share of comments a label would have rejected (at or above ``reject``) and held
    (at or above ``hold``, below ``reject``); None without comments."""
    if not total:
        return {"held": None, "rejected": None}
    rejected = at_or_above(bins, reject)
    held = max(0, at_or_above(bins, hold) - rejected) if hold is not None else 0
    if hold is not None and reject is not None and hold > reject:
        held = 0
    return {"held": held / total, "rejected": rejected / total}


@dataclass(frozen=True)
class Bar:
    name: str
    rate: float | None
    reviewed: int
    y: int
    width: float


CHART_WIDTH = 240  # px of the bar area; labels stand to its left


def bars(by_reason: Mapping[str, Mapping[str, Any]], row_height: int = 22) -> list[Bar]:
    """One bar per reason a moderator reviewed, worst overturn rate first."""
    rows = [(name, figures) for name, figures in by_reason.items() if figures.get("reviewed")]
    rows.sort(key=lambda item: (-(item[1].get("overturn_rate") or 0.0), item[0]))
    return [
        Bar(
            name=name,
            rate=figures.get("overturn_rate"),
            reviewed=figures["reviewed"],
            y=index * row_height,
            width=round((figures.get("overturn_rate") or 0.0) * CHART_WIDTH, 1),
        )
        for index, (name, figures) in enumerate(rows)
    ]
