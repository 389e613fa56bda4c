"""Deployment-wide spam signals, counted with the database for one comment being scored.

The pure parts (fingerprints, reason strings) are ``models.signals``; here are the queries.
Each reads a bounded window through an index, so a signal costs the worker one indexed range
scan per comment, not a scan of the table: the near-duplicate count reads at most
``CANDIDATES`` fingerprints of the last ``WINDOW_SECONDS`` from ``ix_comments_created_fingerprint``
and compares them in Python (a popcount each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import signals
from moderation.storage import Comment

# Look-back window of every signal, and the most fingerprints one comment is compared with.
WINDOW_SECONDS = 3600
CANDIDATES = 5000
# Look-back window of the velocity signals: a burst, not a regular's day.
VELOCITY_SECONDS = 600


@dataclass(frozen=True)
class Counts:
    """What the signals counted for one comment: ``{signal: count}`` and their explanations."""

    counts: dict[str, int] = field(default_factory=dict)
    explained: dict[str, str] = field(default_factory=dict)


def near_duplicates(session: Session, comment: Comment) -> tuple[int, int]:
    """Store the comment's fingerprint; (recent comments of OTHER sites with its text, sites).

    Across sites only: a campaign posts one text on many sites, which only the deployment sees;
    copies on the comment's own site are its moderators' to see (and the velocity signals'),
    and a site's own readers repeat short thanks innocently.
    """
    comment.fingerprint = signals.fingerprint(comment.text)
    if comment.fingerprint is None:
        return 0, 0
    since = comment.created_at - timedelta(seconds=WINDOW_SECONDS)
    rows = session.execute(
        select(Comment.fingerprint, Comment.site_id)
        .where(
            Comment.created_at >= since,
            Comment.created_at <= comment.created_at,
            Comment.fingerprint.is_not(None),
            Comment.site_id != comment.site_id,
        )
        .order_by(Comment.created_at.desc())
        .limit(CANDIDATES)
    ).all()
    sites = {site for fp, site in rows if signals.is_near_duplicate(comment.fingerprint, fp)}
    matches = sum(1 for fp, _ in rows if signals.is_near_duplicate(comment.fingerprint, fp))
    return matches, len(sites)


def velocity(session: Session, comment: Comment, column: Any) -> int:
    """Comments of the last ``VELOCITY_SECONDS`` with the comment's ``column`` value, it included.

    ``column`` is ``Comment.ip_hash`` or ``Comment.author_hash`` (indexed with ``created_at``);
    0 when the comment has no value there (no address kept, no e-mail given).
    """
    value = getattr(comment, column.key)
    if value is None:
        return 0
    since = comment.created_at - timedelta(seconds=VELOCITY_SECONDS)
    return (
        session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(
                column == value,
                Comment.created_at >= since,
                Comment.created_at <= comment.created_at,
            )
        )
        or 0
    )


def count_signals(session: Session, comment: Comment, limits: dict[str, int | None]) -> Counts:
    """Every signal's count for ``comment``, and the explanation of each that reaches its limit.

    ``limits`` is the site's merged ``signals`` policy; the verdict itself is the policy's
    (``moderation.policy.fired``), the explanation only words the count.
    """
    matches, sites = near_duplicates(session, comment)
    counts = {signals.SignalKind.NEAR_DUPLICATE: matches}
    explained: dict[str, str] = {}
    limit = limits.get(signals.SignalKind.NEAR_DUPLICATE)
    if limit is not None:
        signal = signals.duplicate_signal(matches, sites, WINDOW_SECONDS, min_matches=limit)
        if signal is not None:
            explained[signal.kind] = signal.reason
    for kind, column in (
        (signals.SignalKind.VELOCITY_IP, Comment.ip_hash),
        (signals.SignalKind.VELOCITY_AUTHOR, Comment.author_hash),
    ):
        counts[kind] = velocity(session, comment, column)
        limit = limits.get(kind)
        if limit is not None:
            # models.signals fires above its limit; the policy's count is "at or above".
            fired = signals.velocity_signal(kind, counts[kind], VELOCITY_SECONDS, limit - 1)
            if fired is not None:
                explained[kind] = fired.reason
    return Counts(counts, explained)


def explanations(counts: Counts) -> dict[str, list[dict[str, object]]]:
    """The fired signals in the shape of the models' explanations: one span, the whole reason.

    A signal is about the comment as a whole, not words in it, so its span is empty
    (``start == end == 0``) and ``reason`` says what was seen.
    """
    return {
        name: [{"start": 0, "end": 0, "text": "", "weight": 1.0, "reason": reason}]
        for name, reason in counts.explained.items()
    }
