"""What the three protocols share behind the wire: the /v1 submission path and moderator feedback.

A comment that arrives by Perspective (without ``doNotStore``), Akismet or Coral is stored in the
same ``comments`` table as a ``POST /v1/comments`` one, enqueued on the same queue, scored by the
same workers under the same site policy, and its verdict is in the same audit log; the request
then waits for the verdict on the same channel as ``?wait=``, up to ``WAIT_MAX_MS``.

Feedback (Akismet submit-spam/submit-ham, Perspective suggestscore, Coral's moderation events)
becomes a moderator decision on the comment it is about (found by its client id, else by site
and text), so ``moderation.learning.labels`` turns it into training labels exactly like a
decision made in the review queue. The decision's ``note`` names where it came from
(``akismet:submit-spam``, ``perspective:suggestscore``, ``coral:COMMENT_LEFT_MODERATION_QUEUE``)
and its ``key_id`` the key that sent it. Feedback about a comment we never saw is stored as a
new comment with that decision, unscored: it is still a label a moderator gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.api.comments import wait_for_verdict
from moderation.decisions import apply_moderator_decision
from moderation.privacy import keyed_hash
from moderation.queue import enqueue_score
from moderation.storage import Actor, Comment, CommentStatus, Decision, Site, utcnow

# How far back feedback looks for the comment it is about, when it has no client id.
FEEDBACK_LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class Submission:
    """A comment as a foreign protocol describes it; every field but ``text`` is optional."""

    text: str
    name: str = ""
    email: str | None = None
    url: str | None = None
    thread_id: str | None = None
    thread_url: str | None = None
    parent_id: str | None = None
    language: str | None = None
    client_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None


def new_comment(site: Site, submission: Submission) -> Comment:
    """The row for ``submission`` (not added to a session). No idempotency key: a protocol's
    client token is an echo, not a promise that two requests are the same comment."""
    secret = current_app.config["SECRET_KEY"]
    return Comment(
        site=site,
        name=submission.name[:100],
        text=submission.text,
        email=submission.email,
        author_hash=keyed_hash(submission.email, secret),
        url=submission.url,
        thread_id=(submission.thread_id or "")[:200] or None,
        thread_url=submission.thread_url,
        parent_id=(submission.parent_id or "")[:200] or None,
        language=(submission.language or "")[:35] or None,
        client_id=(submission.client_id or "")[:200] or None,
        ip_hash=keyed_hash(submission.ip, secret),
        user_agent=(submission.user_agent or "")[:500] or None,
        referrer=(submission.referrer or "")[:2048] or None,
    )


def submit_and_wait(session: Session, site: Site, submission: Submission) -> Comment:
    """Store, commit, enqueue and wait (up to ``WAIT_MAX_MS``); the comment as it stands then.

    Committed before it is enqueued, as on ``/v1``: if Redis is down the comment stays pending
    and the sweeper enqueues it; the caller then answers "no verdict in time".
    """
    comment = new_comment(site, submission)
    session.add(comment)
    session.commit()
    enqueue_score(current_app.extensions["redis"], comment.id)
    return wait_for_verdict(session, comment, current_app.config["WAIT_MAX_MS"])


def is_unscored(comment: Comment) -> bool:
    """No verdict yet, or held because the models could not score it."""
    return comment.status == CommentStatus.PENDING.value or "unscored" in (comment.reasons or [])


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
    elif comment.decided_by == Actor.MODERATOR.value and latest_action(session, comment) == action:
        return comment
    apply_moderator_decision(session, comment, action, key_id, source)
    session.commit()
    return comment


def latest_action(session: Session, comment: Comment) -> str | None:
    return session.scalar(
        select(Decision.action)
        .where(Decision.comment_id == comment.id, Decision.actor == Actor.MODERATOR.value)
        .order_by(Decision.id.desc())
        .limit(1)
    )


def answer_headers(comment: Comment) -> dict[str, Any]:
    """Headers every protocol adds: our id and status, for an operator following a comment."""
    return {"X-Moderation-Comment": comment.id, "X-Moderation-Status": comment.status}
