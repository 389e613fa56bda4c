"""Figures for moderators: volumes, the oldest held comment, and how often they overturn the policy.

Overturn rate, precisely. For every comment in scope with an automatic verdict (the policy's
decision: ``approved``, ``held`` or ``rejected``, with its reasons), take the *last* moderator
decision on it, if any:

- the verdict is **reviewed** when a moderator decided on the comment after it;
- a reviewed verdict is **overturned** when the moderator's last decision goes the other way:
  ``held`` or ``rejected`` by the policy and ``approved`` by the moderator, or ``approved`` by
  the policy and ``rejected`` by the moderator (held then rejected confirms the hold);
- ``overturn_rate`` = overturned / reviewed (``null`` when nothing was reviewed): how often a
  moderator who looked disagreed. ``decided`` (all automatic verdicts) is given beside it, since
  approved comments are rarely looked at and their rate says more with that context.

Figures are given per verdict and per reason: a comment held for ``spam`` and ``toxicity`` counts
for both labels, so a label whose holds are mostly approved is a threshold set too low. Reasons
are the labels and the policy's own (``banned_word``, ``suspect_word``, ``premoderation``,
``trusted_author``, ``unscored``). The scope is the comments created in [since, until) on the
sites the key covers (or the one named).

**Per moderator** (``moderators``), over the decisions moderators made on the comments in scope,
by key (shown by ``moderation.keys.display_name``): their decisions per action; how many of them
another moderator later **overturned** (the comment's last moderator decision is by another key
and leaves it in another status: spam after reject, or reject after not_spam, is no overturn);
and the automatic verdicts whose standing decision (the last) is theirs, ``reviewed`` and
``overturned`` exactly as above, so their figures add up to ``automatic.by_verdict``'s.

The moderator's pages read their own figures here too (``reviewed_verdicts``,
``model_thresholds``, ``scores_since``); ``moderation.web.figures`` computes on them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, Text, cast, func, select
from sqlalchemy.orm import Session, aliased

from moderation.decisions import ACTION_OUTCOMES
from moderation.keys import moderator_of
from moderation.storage import (
    Actor,
    Comment,
    CommentStatus,
    Decision,
    ModelStatus,
    ModelVersion,
    utcnow,
)

# Narrows a query to the comments in scope (``moderation.review.filtered`` with a window and site).
Scope = Callable[[Select], Select]


@dataclass(frozen=True)
class Review:
    """An automatic verdict a moderator reviewed: the label's score, and whether overturned."""

    score: float
    overturned: bool


def last_moderator_decisions() -> Subquery:
    """Per comment a moderator decided on, the id of the last such decision: the one that stands."""
    return (
        select(Decision.comment_id, func.max(Decision.id).label("last_id"))
        .where(Decision.actor == Actor.MODERATOR)
        .group_by(Decision.comment_id)
        .subquery()
    )


def reason_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Comments per reason; a comment with two reasons counts for each."""
    # reasons is a short JSON list: group by its text (few distinct lists), then split here.
    rows = session.execute(
        scope(
            select(cast(Comment.reasons, Text), func.count()).group_by(cast(Comment.reasons, Text))
        )
    )
    counts: Counter[str] = Counter()
    for reasons, count in rows:
        for reason in json.loads(reasons or "[]"):
            counts[reason] += count
    return dict(counts)


def oldest_held(session: Session, scope: Scope, now: datetime) -> dict[str, Any] | None:
    row = session.execute(
        scope(select(Comment.id, Comment.created_at))
        .where(Comment.status == CommentStatus.HELD)
        .order_by(Comment.created_at, Comment.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "id": row.id,
        "created_at": row.created_at,
        "age_seconds": round((now - row.created_at).total_seconds(), 1),
    }


def overturned(verdict: str, final: str | None) -> bool:
    if verdict == CommentStatus.APPROVED:
        return final == CommentStatus.REJECTED
    return final == CommentStatus.APPROVED


def overturns(session: Session, scope: Scope) -> dict[str, dict[str, dict[str, Any]]]:
    """Automatic verdicts, reviewed and overturned, per verdict and per reason."""
    policy = aliased(Decision)
    final = aliased(Decision)
    last_moderator = last_moderator_decisions()
    reasons_text = cast(policy.reasons, Text)
    query = scope(
        select(policy.to_status, reasons_text, final.to_status, func.count())
        .select_from(policy)
        .join(Comment, Comment.id == policy.comment_id)
        .outerjoin(last_moderator, last_moderator.c.comment_id == policy.comment_id)
        .outerjoin(final, final.id == last_moderator.c.last_id)
        .where(policy.actor == Actor.POLICY)
        .group_by(policy.to_status, reasons_text, final.to_status)
    )
    tallies: dict[str, dict[str, Counter[str]]] = {"by_verdict": defaultdict(Counter)}
    tallies["by_reason"] = defaultdict(Counter)
    for verdict, reasons, final_status, count in session.execute(query):
        keys = [("by_verdict", verdict)]
        keys += [("by_reason", reason) for reason in json.loads(reasons or "[]")]
        for group, key in keys:
            tally = tallies[group][key]
            tally["decided"] += count
            if final_status is not None:
                tally["reviewed"] += count
                tally["overturned"] += count if overturned(verdict, final_status) else 0
    return {
        group: {key: rate(tally) for key, tally in sorted(by_key.items())}
        for group, by_key in tallies.items()
    }


def rate(tally: Counter[str]) -> dict[str, Any]:
    reviewed = tally["reviewed"]
    return {
        "decided": tally["decided"],
        "reviewed": reviewed,
        "overturned": tally["overturned"],
        "overturn_rate": round(tally["overturned"] / reviewed, 4) if reviewed else None,
    }


def moderators(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per moderator key: decisions by action, those another moderator overturned, and the
    automatic verdicts they reviewed and overturned; most decisions first."""
    mine = aliased(Decision)
    final = aliased(Decision)
    policy = aliased(Decision)
    last_moderator = last_moderator_decisions()
    by_action = session.execute(
        scope(
            select(mine.key_id, mine.action, func.count())
            .select_from(mine)
            .join(Comment, Comment.id == mine.comment_id)
            .where(mine.actor == Actor.MODERATOR)
            .group_by(mine.key_id, mine.action)
        )
    ).all()
    # The decisions whose comment's standing decision is another key's, to another status.
    overturned_by_others = session.execute(
        scope(
            select(mine.key_id, func.count())
            .select_from(mine)
            .join(Comment, Comment.id == mine.comment_id)
            .join(last_moderator, last_moderator.c.comment_id == mine.comment_id)
            .join(final, final.id == last_moderator.c.last_id)
            .where(
                mine.actor == Actor.MODERATOR,
                final.to_status != mine.to_status,
                final.key_id.is_distinct_from(mine.key_id),
            )
            .group_by(mine.key_id)
        )
    ).all()
    # The automatic verdicts, by the key whose decision stands on them (``overturns``' rule).
    verdicts = session.execute(
        scope(
            select(final.key_id, policy.to_status, final.to_status, func.count())
            .select_from(policy)
            .join(Comment, Comment.id == policy.comment_id)
            .join(last_moderator, last_moderator.c.comment_id == policy.comment_id)
            .join(final, final.id == last_moderator.c.last_id)
            .where(policy.actor == Actor.POLICY)
            .group_by(final.key_id, policy.to_status, final.to_status)
        )
    ).all()
    figures: dict[int | None, dict[str, Any]] = {}

    def of(key_id: int | None) -> dict[str, Any]:
        if key_id not in figures:
            figures[key_id] = {
                "key_id": key_id,
                "moderator": moderator_of(session, key_id),
                "decisions": 0,
                "by_action": dict.fromkeys(ACTION_OUTCOMES, 0),
                "overturned_by_others": 0,
                "automatic": Counter[str](),
            }
        return figures[key_id]

    for key_id, action, count in by_action:
        of(key_id)["decisions"] += count
        of(key_id)["by_action"][action] = of(key_id)["by_action"].get(action, 0) + count
    for key_id, count in overturned_by_others:
        of(key_id)["overturned_by_others"] = count
    for key_id, verdict, final_status, count in verdicts:
        tally = of(key_id)["automatic"]
        tally["reviewed"] += count
        tally["overturned"] += count if overturned(verdict, final_status) else 0
    for row in figures.values():
        # Only what they reviewed: "decided" (every automatic verdict) is the scope's, not theirs.
        row["automatic"] = {k: v for k, v in rate(row["automatic"]).items() if k != "decided"}
    return sorted(figures.values(), key=lambda row: (-row["decisions"], row["moderator"]))


def stats(session: Session, scope: Scope) -> dict[str, Any]:
    """Every figure of ``GET /v1/stats`` for the comments ``scope`` selects."""
    now = utcnow()
    by_status = dict(
        session.execute(scope(select(Comment.status, func.count()).group_by(Comment.status))).all()
    )
    return {
        "generated_at": now,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_reason": reason_counts(session, scope),
        "oldest_held": oldest_held(session, scope, now),
        "automatic": overturns(session, scope),
        "moderators": moderators(session, scope),
    }


def reviewed_verdicts(session: Session, scope: Scope) -> dict[tuple[str, str], list[Review]]:
    """(label, "hold" | "reject") → each reviewed automatic hold or rejection for that label."""
    policy = aliased(Decision)
    final = aliased(Decision)
    last_moderator = last_moderator_decisions()
    query = scope(
        select(Comment.scores, policy.to_status, policy.reasons, final.to_status)
        .select_from(policy)
        .join(Comment, Comment.id == policy.comment_id)
        .join(last_moderator, last_moderator.c.comment_id == policy.comment_id)
        .join(final, final.id == last_moderator.c.last_id)
        .where(
            policy.actor == Actor.POLICY,
            policy.to_status.in_([CommentStatus.HELD, CommentStatus.REJECTED]),
        )
    )
    found: dict[tuple[str, str], list[Review]] = {}
    for scores, verdict, reasons, final_status in session.execute(query):
        kind = "hold" if verdict == CommentStatus.HELD else "reject"
        overturned = final_status == CommentStatus.APPROVED
        for reason in reasons or []:
            if reason in (scores or {}):
                found.setdefault((reason, kind), []).append(
                    Review(float(scores[reason]), overturned)
                )
    return found


def model_thresholds(session: Session) -> dict[str, float]:
    """The hold thresholds the workers apply, per label: the active models' and, when the
    shipped encoder is on, its combined scores' over the toxicity labels (``models.catalog``)."""
    from models.catalog import encoder_thresholds

    thresholds: dict[str, float] = {}
    rows = session.scalars(
        select(ModelVersion.thresholds).where(ModelVersion.status == ModelStatus.ACTIVE)
    )
    for row in rows:
        thresholds.update({label: float(value) for label, value in (row or {}).items()})
    # Only over labels an active model scores: with no model registered, nothing scores them.
    combined = encoder_thresholds()
    thresholds.update({k: v for k, v in combined.items() if k in thresholds})
    return thresholds


def scores_since(session: Session, site_id: int, since: datetime) -> Iterator[dict[str, Any]]:
    """The scores of each of the site's comments scored and created since ``since``."""
    rows = session.scalars(
        select(Comment.scores).where(
            Comment.site_id == site_id, Comment.created_at >= since, Comment.scored_at.is_not(None)
        )
    )
    return (scores for scores in rows if scores)
