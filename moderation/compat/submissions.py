"""What the three protocols share behind the wire: moderator feedback, and their answers' headers.

A comment that arrives by Perspective (without ``doNotStore``), Akismet or Coral takes the /v1
submission path (``moderation.submissions.submit_and_wait``): stored in the same ``comments``
table as a ``POST /v1/comments`` one, enqueued on the same queue, scored by the same workers under
the same site policy, its verdict in the same audit log; the request then waits for the verdict on
the same channel as ``?wait=``, up to ``WAIT_MAX_MS``.

Feedback (Akismet submit-spam/submit-ham, Perspective suggestscore, Coral's moderation events)
becomes a moderator decision on the comment it is about (found by its client id, else by site
and text), so ``moderation.learning.feedback`` turns it into training labels exactly like a
decision made in the review queue. The decision's ``note`` names where it came from
(``akismet:submit-spam``, ``perspective:suggestscore``, ``coral:COMMENT_LEFT_MODERATION_QUEUE``)
and its ``key_id`` the key that sent it. Feedback about a comment we never saw is stored as a
new comment with that decision, unscored: it is still a label a moderator gave.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.decisions import apply_moderator_decision
from moderation.privacy import keyed_hash
from moderation.storage import Actor, Comment, CommentStatus, Decision, Reason, Site, utcnow
from moderation.submissions import Submission, new_comment

# How far back feedback looks for the comment it is about, when it has no client id.
FEEDBACK_LOOKBACK = timedelta(days=90)


def is_unscored(comment: Comment) -> bool:
    """No verdict yet, or held because the models could not score it."""
    return comment.status == CommentStatus.PENDING or Reason.UNSCORED in (comment.reasons or [])


def find_comment(
    session: Session, site_id: int, *, client_id: str | None = None, text: str | None = None,
    email: str | None = None,
) -> Comment | None:  # fmt: skip
    """The site's most recent comment with this client id, else with this text (and author)."""
    if client_id:
        found = session.scalar(
            select(Comment)
            .where(Comment.site_id == site_id, Comment.client_id == client_id)
            .order_by(Comment.created_at.desc())
            .limit(1)
        )
        if found is not None or not text:
            return found
    if not text:
        return None
    query = select(Comment).where(
        Comment.site_id == site_id,
        Comment.created_at >= utcnow() - FEEDBACK_LOOKBACK,
        Comment.text == text,
    )
    if email:
        query = query.where(
            Comment.author_hash == keyed_hash(email, current_app.config["SECRET_KEY"])
        )
    return session.scalar(query.order_by(Comment.created_at.desc()).limit(1))


def record_feedback(
    session: Session,
    site: Site,
    action: str,
    *,
    source: str,
    key_id: int | None,
    comment: Comment | None,
    submission: Submission | None = None,
) -> Comment | None:
    """Apply ``action`` (approve/reject/spam/not_spam) as a moderator decision and commit.

    A comment already decided that way by a moderator is left alone (clients retry), so a
    repeated report adds no second audit entry. Without ``comment``, ``submission`` (if any) is
    stored first; without either there is nothing to label and nothing is written.
    """
    if comment is None:
        if submission is None or not submission.text:
            return None
        comment = new_comment(site, submission)
        session.add(comment)
        session.flush()
    elif comment.decided_by == Actor.MODERATOR and latest_action(session, comment) == action:
        return comment
    apply_moderator_decision(session, comment, action, key_id, source)
    session.commit()
    return comment


def latest_action(session: Session, comment: Comment) -> str | None:
    return session.scalar(
        select(Decision.action)
        .where(Decision.comment_id == comment.id, Decision.actor == Actor.MODERATOR)
        .order_by(Decision.id.desc())
        .limit(1)
    )


def answer_headers(comment: Comment) -> dict[str, Any]:
    """Headers every protocol adds: our id and status, for an operator following a comment."""
    return {"X-Moderation-Comment": comment.id, "X-Moderation-Status": comment.status}
