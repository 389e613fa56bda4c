"""Changes of a comment's status and their audit trail, by the policy or by a moderator.

Every status change writes a ``Decision`` row in the same transaction, so the history of a comment
is complete by construction. The policy's verdict is a compare-and-set on ``status = 'pending'``:
a second run of the same scoring job (a retry, the sweeper, two workers) finds nothing to update
and records nothing. Each decision also records its webhook event (``moderation.webhooks``), in
the same transaction, so there is exactly one event per decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from models.labels import TOXICITY_LABELS
from moderation import rejected_domains, webhooks
from moderation.policy import Verdict
from moderation.storage import Actor, Comment, CommentStatus, Decision, utcnow

# The labels a moderator may name when rejecting a comment (what it is: the training labels it
# becomes, ``moderation.learning.feedback``). Spam is not among them: only the ``spam`` action
# says a comment is spam.
NAMED_LABELS: tuple[str, ...] = TOXICITY_LABELS

# A moderator's action -> (new status, reason recorded with it).
ACTION_OUTCOMES: dict[str, tuple[CommentStatus, str | None]] = {
    "approve": (CommentStatus.APPROVED, None),
    "reject": (CommentStatus.REJECTED, None),
    "spam": (CommentStatus.REJECTED, "spam"),
    "not_spam": (CommentStatus.APPROVED, None),
}


def record_verdict(session: Session, comment_id: str, verdict: Verdict) -> bool:
    """Apply the policy's verdict if the comment is still pending; True if this call applied it."""
    now = utcnow()
    # An UPDATE's result is a CursorResult (it has the row count).
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Comment)
            .where(Comment.id == comment_id, Comment.status == CommentStatus.PENDING)
            .values(
                status=verdict.status,
                reasons=list(verdict.reasons),
                decided_by=Actor.POLICY,
                decided_at=now,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return False
    decision = Decision(
        comment_id=comment_id,
        actor=Actor.POLICY,
        action="score",
        from_status=CommentStatus.PENDING,
        to_status=verdict.status,
        reasons=list(verdict.reasons),
        # The listed words that decided it, for the moderator reading the history.
        note=("words: " + ", ".join(verdict.words)) if verdict.words else None,
        created_at=now,
    )
    session.add(decision)
    comment = session.get(Comment, comment_id)
    if comment is not None:
        webhooks.record_event(session, comment, decision, webhooks.SCORED)
    return True


def apply_moderator_decision(
    session: Session,
    comment: Comment,
    action: str,
    key_id: int | None,
    note: str | None,
    labels: Sequence[str] = (),
) -> Decision:
    """Set the status a moderator chose and log it; reasons keep the label the action implies.

    ``labels`` (of :data:`NAMED_LABELS`) are what a rejecting moderator says the comment is: they
    are the rejection's reasons, which the training labels are read from; other actions ignore
    them. A spam rejection also counts the comment's link domains for the ``spam_domain`` signal
    (``moderation.rejected_domains``), in the same transaction.
    """
    status, reason = ACTION_OUTCOMES[action]
    reasons: Sequence[str] = [reason] if reason else []
    if action == "reject" and labels:
        reasons = [label for label in dict.fromkeys(labels) if label in NAMED_LABELS]
    decision = Decision(
        comment_id=comment.id,
        actor=Actor.MODERATOR,
        key_id=key_id,
        action=action,
        from_status=comment.status,
        to_status=status,
        reasons=list(reasons),
        note=note or None,
    )
    decision.created_at = utcnow()
    # Before the comment changes: a spam rejection is read from the policy's reasons.
    rejected_domains.record(session, comment, action, decision.created_at)
    comment.status = status
    comment.reasons = list(reasons)
    comment.decided_by = Actor.MODERATOR
    comment.decided_at = decision.created_at
    session.add(decision)
    webhooks.record_event(session, comment, decision, webhooks.DECIDED)
    return decision


def decide_many(
    session: Session,
    comment_ids: Sequence[str],
    action: str,
    *,
    key_id: int | None,
    note: str | None,
    expected_status: str | None,
    covers: Callable[[int], bool],
    labels: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """One moderator's action on many comments, with a result per id; the caller commits.

    ``decided``; ``not_found`` (unknown, or of a site ``covers`` refuses: the key learns nothing
    about it); ``conflict`` (no longer in ``expected_status``: the rows are locked, on PostgreSQL,
    so that of two moderators the second sees the first's work). The review API's bulk decisions
    and the moderator's page both decide through here.
    """
    ids = list(dict.fromkeys(comment_ids))
    query = select(Comment).where(Comment.id.in_(ids))
    if expected_status is not None:
        query = query.with_for_update()
    found = {comment.id: comment for comment in session.scalars(query) if covers(comment.site_id)}
    results: list[dict[str, Any]] = []
    for comment_id in ids:
        comment = found.get(comment_id)
        if comment is None:
            results.append({"id": comment_id, "result": "not_found", "status": None})
        elif expected_status not in (None, comment.status):
            results.append({"id": comment_id, "result": "conflict", "status": comment.status})
        else:
            decision = apply_moderator_decision(session, comment, action, key_id, note, labels)
            session.flush()
            results.append(
                {
                    "id": comment_id,
                    "result": "decided",
                    "status": comment.status,
                    "decision_id": decision.id,
                }
            )
    return results
