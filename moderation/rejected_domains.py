"""Domains of comments a moderator rejected as spam: what the ``spam_domain`` signal counts.

A moderator's decision is a spam rejection when ``moderation.learning.feedback`` would turn it into
``spam = 1``: only the ``spam`` action (a plain ``reject`` of a comment held partly for spam may be
for abuse; it labels no spam and counts no domain). The comment's domains were found by the worker
when it scored the comment (``Comment.link_domains``, already without citations, shared platforms
and the site's own domain), so this runs in the moderator's request without reading a link: one row
per domain goes to ``spam_domains``, stamped with the decision's time. A later decision that is not
a spam rejection (a moderator approving it after all, or rejecting it for something else) deletes
those rows, so a slip of the spam button stops counting once it is corrected. Verdicts of the
policy never write here: only a person's judgement feeds the signal, not the models' own output.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.labels import SPAM
from moderation.learning.feedback import feedback_labels
from moderation.storage import Actor, Comment, CommentStatus, Decision, SpamDomain


def policy_reasons(session: Session, comment: Comment) -> list[str]:
    """The reasons of the policy's latest verdict on the comment (read before it is overwritten).

    The comment's own reasons while the policy decided last; after a moderator's decision, those
    of the latest policy row of the audit log.
    """
    if comment.decided_by == Actor.POLICY:
        return list(comment.reasons or [])
    reasons = session.scalar(
        select(Decision.reasons)
        .where(Decision.comment_id == comment.id, Decision.actor == Actor.POLICY)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    return list(reasons or [])


def is_spam_rejection(session: Session, comment: Comment, action: str) -> bool:
    """Whether this moderator action on the comment rejects it as spam (see the module doc)."""
    if action == "spam":
        return True
    if action != "reject":
        return False
    return feedback_labels(action, policy_reasons(session, comment)).get(SPAM) == 1


def record(session: Session, comment: Comment, action: str, decided_at: datetime) -> None:
    """Count the comment's domains as rejected spam, or stop counting them, after ``action``.

    Called with the comment as it was before the decision (its status and the policy's reasons).
    """
    if is_spam_rejection(session, comment, action):
        # Re-deciding the same comment replaces its rows: one comment is one rejection.
        session.execute(delete(SpamDomain).where(SpamDomain.comment_id == comment.id))
        session.add_all(
            SpamDomain(
                comment_id=comment.id, site_id=comment.site_id, domain=domain, created_at=decided_at
            )
            for domain in dict.fromkeys(comment.link_domains or [])
        )
    elif comment.status == CommentStatus.REJECTED:
        # Only a rejected comment can have rows; any other status costs no statement.
        session.execute(delete(SpamDomain).where(SpamDomain.comment_id == comment.id))
