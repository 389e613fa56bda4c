"""Scoring one comment: count the attempt, score, store the scores and the policy's verdict.

Each step is its own transaction, so an attempt that kills the process still counts (a poison
comment cannot crash workers forever) and the verdict is written with the scores it rests on.
The score rows are keyed by (comment, label, model version) and the verdict is a compare-and-set
on ``pending`` (``moderation.decisions``), so running a step twice changes nothing. Every run
ends in ``settle``: the verdict written, then, once committed, counted and announced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session, joinedload

from models.record import CommentRecord
from models.text import normalize
from moderation import metrics
from moderation.authors import author_record
from moderation.decisions import record_verdict
from moderation.policy import (
    Verdict,
    all_finite,
    decide,
    merged,
    unread,
    unscored,
    word_explanations,
)
from moderation.queue import verdict_channel
from moderation.settings import standing
from moderation.storage import Comment, CommentStatus, Score, db, utcnow
from workers import signals

if TYPE_CHECKING:
    from models.scorer import Scorer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """A scoring attempt as it starts: its number, the comment's status and what the models read."""

    number: int
    status: str
    fields: dict[str, Any]
    site_id: int


def comment_fields(comment: Comment) -> dict[str, Any]:
    """What the models read of a stored comment (the comment record's fields)."""
    return CommentRecord.from_attributes(comment).as_fields()


def start_attempt(comment_id: str) -> Attempt | None:
    """Count the attempt and read the comment in one transaction; None if the comment is gone.

    Committed before scoring, so an attempt that kills the process still counts and a poison
    comment cannot crash workers forever.
    """
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            return None
        if comment.status == CommentStatus.PENDING:
            comment.score_attempts += 1
        return Attempt(
            comment.score_attempts, comment.status, comment_fields(comment), comment.site_id
        )


def settle(session: Session, comment_id: str, verdict: Verdict) -> str:
    """Write the policy's verdict on the comment if it is still pending; its status.

    Called in the transaction that stores what the verdict rests on. Once that commits, the
    verdict is counted in the metrics (only by the run that decided it: a second run changes
    nothing) and announced to the API processes waiting on ``?wait=``; a rollback does neither.
    """
    applied = record_verdict(session, comment_id, verdict)

    def counted_and_announced(_: Session) -> None:
        if applied:
            metrics.record_verdict(verdict.status, verdict.reasons)
        announce(comment_id, verdict.status)

    event.listen(session, "after_commit", counted_and_announced, once=True)
    return verdict.status


def save_scores(model: Scorer, comment_id: str, scores: dict[str, float]) -> str:
    """Store the scores and settle the site's policy's verdict, in one transaction; its status."""
    with db.transaction() as session:
        comment = session.scalars(
            select(Comment).options(joinedload(Comment.site)).where(Comment.id == comment_id)
        ).one()
        policy = comment.site.policy
        # The author's record costs a query; only a policy that trusts authors needs it.
        author = (
            author_record(session, comment.site_id, comment.author_hash)
            if policy.get("trusted_after")
            else None
        )
        counted = signals.count_signals(session, comment, merged(policy)["signals"])
        verdict = decide(
            scores,
            policy,
            model.thresholds,
            text=comment.text,
            normalize=normalize,
            author=author,
            signals=counted.counts,
            standing=standing(session, comment),
        )
        # A score that is not a finite number made the verdict ``unscored``; it is not stored.
        kept = {label: value for label, value in scores.items() if all_finite({label: value})}
        versions = {label: model.versions[model.label_models[label]] for label in scores}
        existing = {
            (label, version)
            for label, version in session.execute(
                select(Score.label, Score.model_version).where(Score.comment_id == comment_id)
            )
        }
        rows = [
            {
                "comment_id": comment_id,
                "label": label,
                "value": value,
                "model_version": versions[label],
                "created_at": utcnow(),
            }
            for label, value in kept.items()
            if (label, versions[label]) not in existing
        ]
        if rows:
            session.execute(insert(Score), rows)
        if comment.status == CommentStatus.PENDING:
            comment.scores = kept
            if len(kept) < len(scores):
                spoiled = ", ".join(f"{k}={v}" for k, v in scores.items() if k not in kept)
                comment.last_error = f"scores that are not finite numbers: {spoiled}"
            comment.model_versions = model.named_versions()
            comment.explanations = {
                **signals.explanations(counted),
                **word_explanations(comment.text, verdict),
            }
            comment.scored_at = utcnow()
        return settle(session, comment_id, verdict)


def save_unread(comment_id: str, language: str) -> str:
    """Settle the verdict for a comment in a language the models do not read (no scores)."""
    with db.transaction() as session:
        comment = session.scalars(
            select(Comment).options(joinedload(Comment.site)).where(Comment.id == comment_id)
        ).one()
        verdict = unread(
            language,
            comment.site.policy,
            text=comment.text,
            normalize=normalize,
            standing=standing(session, comment),
        )
        if comment.status == CommentStatus.PENDING:
            comment.explanations = word_explanations(comment.text, verdict)
            comment.scored_at = utcnow()
            # Unread, but a moderator may still reject it as spam: its domains then count.
            signals.store_link_domains(comment)
        return settle(session, comment_id, verdict)


def fail_closed(comment_id: str, error: Exception) -> str:
    """Hold the comment for a moderator with reason ``unscored``, keeping the error; ``held``."""
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comment.last_error = f"{type(error).__name__}: {error}"[:2000]
        return settle(session, comment_id, unscored())


def announce(comment_id: str, status: str) -> None:
    """Tell API processes waiting on ``?wait=`` that the verdict is in (best effort)."""
    job = get_current_job()
    connection: Redis | None = job.connection if job is not None else None
    if connection is None:
        return
    try:
        connection.publish(verdict_channel(comment_id), status)
    except RedisError as error:
        logger.warning("could not announce verdict of %s: %s", comment_id, error)


def labels_to_explain(model: Scorer, scores: dict[str, float]) -> list[str]:
    """The labels at or above their model threshold: those a moderator wants explained."""
    return [label for label, p in scores.items() if p >= model.thresholds.get(label, 0.5)]


def explain(model: Scorer, comment: dict[str, Any], scores: dict[str, float]) -> dict[str, Any]:
    """Spans of the original text behind each label at or above its model threshold."""
    labels = labels_to_explain(model, scores)
    if not labels:
        return {}
    return {
        label: [
            {"start": s.start, "end": s.end, "text": s.text, "weight": round(s.weight, 4)}
            for s in spans
        ]
        for label, spans in model.explain(comment, labels).items()
    }


def save_explanations(comment_id: str, explanations: dict[str, Any]) -> None:
    """Add the models' explanations to those of the policy's words (kept in the same field)."""
    if not explanations:
        return
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comment.explanations = {**explanations, **(comment.explanations or {})}
