"""Background jobs. Each takes ids, not objects, and is idempotent.

``score_comment`` may run more than once for one comment (an RQ retry, the sweeper, a worker that
died after committing): the score rows are keyed by (comment, label, model version) and the verdict
is a compare-and-set on ``pending``, so a second run changes nothing and announces nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from models.text import normalize, normalize_with_offsets, to_original_span
from moderation import db
from moderation.authors import author_record
from moderation.decisions import record_verdict
from moderation.exceptions import InjectedFault
from moderation.policy import Verdict, decide, unscored, word_spans
from moderation.queue import enqueue_explain, verdict_channel
from moderation.storage import Comment, CommentStatus, Score, utcnow
from workers import delivery, model_watch

if TYPE_CHECKING:
    from models.scorer import Scorer

logger = logging.getLogger(__name__)


class Runtime:
    """What a worker process loads once, before its first job: settings and the models."""

    scorer: Scorer | None = None
    max_attempts: int = 3
    # Derives webhook signing secrets (moderation.webhooks); set from the settings at start-up.
    secret_key: str = ""
    # Fault-injection hook for the tests only (tests/test_faults.py): scoring a comment whose text
    # contains this marker raises, as a broken model would. The worker sets it from
    # MODERATION_FAULT_POISON only when MODERATION_ENV=testing; otherwise it stays None.
    poison: str | None = None


def scorer() -> Scorer:
    if Runtime.scorer is None:
        # Normally loaded by the worker at start-up; this covers jobs run in other processes
        # (tests, `rq worker` started by hand).
        from models.artifacts import load_scorer

        Runtime.scorer = load_scorer()
    return Runtime.scorer


def score_fields(fields: dict[str, Any]) -> dict[str, float]:
    """The models' scores for one comment's fields."""
    if Runtime.poison and Runtime.poison in fields["text"]:
        raise InjectedFault(f"poison marker {Runtime.poison!r} in the comment")
    return scorer().score([fields])[0]


@dataclass(frozen=True)
class Attempt:
    """A scoring attempt as it starts: its number, the comment's status and what the models read."""

    number: int
    status: str
    fields: dict[str, Any]


def start_attempt(comment_id: str) -> Attempt | None:
    """Count the attempt and read the comment in one transaction; None if the comment is gone.

    Committed before scoring, so an attempt that kills the process still counts and a poison
    comment cannot crash workers forever.
    """
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            return None
        if comment.status == CommentStatus.PENDING.value:
            comment.score_attempts += 1
        fields = {
            "text": comment.text,
            "name": comment.name,
            "email": comment.email,
            "url": comment.url,
        }
        return Attempt(comment.score_attempts, comment.status, fields)


def save_scores(comment_id: str, scores: dict[str, float]) -> Verdict:
    """Store the scores and apply the site's policy, in one transaction."""
    model = scorer()
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
        verdict = decide(
            scores, policy, model.thresholds, text=comment.text, normalize=normalize, author=author
        )
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
            for label, value in scores.items()
            if (label, versions[label]) not in existing
        ]
        if rows:
            session.execute(insert(Score), rows)
        if comment.status == CommentStatus.PENDING.value:
            comment.scores = scores
            comment.model_versions = dict(model.versions)
            comment.explanations = word_explanations(comment.text, verdict)
            comment.scored_at = utcnow()
            record_verdict(session, comment_id, verdict)
        return verdict


def save_explanations(comment_id: str, explanations: dict[str, Any]) -> None:
    """Add the models' explanations to those of the policy's words (kept in the same field)."""
    if not explanations:
        return
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comment.explanations = {**explanations, **(comment.explanations or {})}


def word_explanations(text: str, verdict: Verdict) -> dict[str, Any]:
    """Where the listed words behind the verdict stand in the comment as written.

    Keyed ``banned_word`` or ``suspect_word`` like the reason, in the shape of the models'
    explanations, so a moderator's screen highlights both the same way.
    """
    if not verdict.words:
        return {}
    normalized, offsets = normalize_with_offsets(text)
    spans = []
    for start, end, _word in word_spans(normalized, verdict.words, normalize):
        first, last = to_original_span(offsets, start, end, text)
        spans.append({"start": first, "end": last, "text": text[first:last], "weight": 1.0})
    kind = "banned_word" if "banned_word" in verdict.reasons else "suspect_word"
    return {kind: spans}


def labels_to_explain(scores: dict[str, float]) -> list[str]:
    """The labels at or above their model threshold: those a moderator wants explained."""
    model = scorer()
    return [label for label, p in scores.items() if p >= model.thresholds.get(label, 0.5)]


def explain(comment: dict[str, Any], scores: dict[str, float]) -> dict[str, Any]:
    """Spans of the original text behind each label at or above its model threshold."""
    labels = labels_to_explain(scores)
    if not labels:
        return {}
    return {
        label: [
            {"start": s.start, "end": s.end, "text": s.text, "weight": round(s.weight, 4)}
            for s in spans
        ]
        for label, spans in scorer().explain(comment, labels).items()
    }


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


def fail_closed(comment_id: str, error: Exception) -> None:
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is not None:
            comment.last_error = f"{type(error).__name__}: {error}"[:2000]
        record_verdict(session, comment_id, unscored())


def score_comment(comment_id: str) -> str:
    """Score one comment, apply its site's policy and store the verdict; return the status.

    The explanation is left to ``explain_comment`` on the lowest-priority queue: explaining costs
    more than scoring (one re-scoring per word), and in a burst every verdict should come before
    any explanation.
    """
    attempt = start_attempt(comment_id)
    if attempt is None:
        logger.warning("comment %s no longer exists; nothing to score", comment_id)
        return "missing"
    if attempt.status != CommentStatus.PENDING.value:
        return attempt.status
    if attempt.number > Runtime.max_attempts:
        fail_closed(comment_id, RuntimeError(f"gave up after {attempt.number - 1} attempts"))
        announce(comment_id, CommentStatus.HELD.value)
        return CommentStatus.HELD.value
    # A promoted model version is picked up here, between jobs, never in the middle of one.
    Runtime.scorer = model_watch.watch.current(Runtime.scorer)
    try:
        scores = score_fields(attempt.fields)
        verdict = save_scores(comment_id, scores)
    except Exception as error:
        logger.exception("scoring comment %s failed (attempt %d)", comment_id, attempt.number)
        if attempt.number >= Runtime.max_attempts:
            fail_closed(comment_id, error)
            announce(comment_id, CommentStatus.HELD.value)
            return CommentStatus.HELD.value
        raise
    announce(comment_id, verdict.status)
    job = get_current_job()
    if job is not None and labels_to_explain(scores):
        enqueue_explain(job.connection, comment_id)
    return verdict.status


def explain_comment(comment_id: str) -> str:
    """Store the spans of the original text behind each label at or above its threshold.

    Idempotent: a comment whose model explanations are stored is left alone.
    """
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None or not comment.scores:
            return "nothing to explain"
        if set(comment.explanations or {}) & set(comment.scores):
            return "explained"
        fields = {
            "text": comment.text,
            "name": comment.name,
            "email": comment.email,
            "url": comment.url,
        }
        scores = dict(comment.scores)
    save_explanations(comment_id, explain(fields, scores))
    return "explained"


def secret_key() -> str:
    if not Runtime.secret_key:
        from moderation import config as settings

        Runtime.secret_key = settings.load()["SECRET_KEY"]
    return Runtime.secret_key


def deliver_webhook(delivery_id: int) -> str:
    """Send one webhook delivery, signed; raises for RQ to retry it, until the last attempt."""
    job = get_current_job()
    last_attempt = job is None or not job.retries_left
    return delivery.deliver(delivery_id, secret_key(), last_attempt)
