"""The submission path every front door shares: the new row, the insert, the wait for a verdict.

``POST /v1/comments`` (``api/comments.py``) and the drop-in protocols (``compat/``) describe a
comment as a ``Submission`` and store it here: committed before it is enqueued, so that if Redis
is down the comment stays pending and the sweeper enqueues it later; then, if the caller waits,
the worker's announcement on the comment's channel ends the wait early.

A thread a moderator closed refuses new comments here, for every front door alike
(``ThreadClosed``): ``/v1`` answers 409, each drop-in protocol in its own shape.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.exceptions import Conflict
from moderation.privacy import keyed_hash
from moderation.queue import breaker, enqueue_score, verdict_channel
from moderation.settings import is_closed
from moderation.storage import Comment, CommentStatus, Site

# Named with a refusal in answers that have room for reasons (Akismet's X-Moderation-Reasons).
THREAD_CLOSED = "thread_closed"


class ThreadClosed(Conflict):
    """A moderator closed the thread a new comment names: refused, nothing stored."""


@dataclass(frozen=True)
class Submission:
    """A comment as a front door describes it; every field but ``text`` is optional.

    The sizes of the columns are enforced in ``new_comment``: ``/v1``'s schema already keeps to
    them, the foreign protocols do not.
    """

    text: str
    name: str = ""
    email: str | None = None
    url: str | None = None
    thread_id: str | None = None
    thread_url: str | None = None
    thread_title: str | None = None
    parent_id: str | None = None
    language: str | None = None
    client_id: str | None = None
    author_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None


def request_fingerprint(body: dict[str, Any]) -> str:
    """A hash of a request body, to tell a retry from another comment under the same key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def new_comment(
    site: Site,
    submission: Submission,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Comment:
    """The row for ``submission`` (not added to a session)."""
    secret = current_app.config["SECRET_KEY"]
    return Comment(
        # The relationship, not just site_id: the response names the site, and a lazy load after
        # the commit would open a second transaction on the request's hot path.
        site=site,
        name=submission.name[:100],
        text=submission.text,
        email=submission.email,
        author_hash=keyed_hash(submission.email, secret),
        author_id=(submission.author_id or "")[:200] or None,
        url=submission.url,
        thread_id=(submission.thread_id or "")[:200] or None,
        thread_url=submission.thread_url,
        thread_title=submission.thread_title,
        parent_id=(submission.parent_id or "")[:200] or None,
        language=(submission.language or "")[:35] or None,
        client_id=(submission.client_id or "")[:200] or None,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        ip_hash=keyed_hash(submission.ip, secret),
        user_agent=(submission.user_agent or "")[:500] or None,
        referrer=(submission.referrer or "")[:2048] or None,
    )


def replay(session: Session, site_id: int, key: str, request_hash: str | None) -> Comment | None:
    """The comment an earlier request with this idempotency key created, if any.

    Raises ``Conflict`` if that request had another body.
    """
    earlier = session.scalar(
        select(Comment).where(Comment.site_id == site_id, Comment.idempotency_key == key)
    )
    if earlier is not None and earlier.request_hash != request_hash:
        raise Conflict("This idempotency key was used with a different comment.")
    return earlier


def submit(
    session: Session,
    site: Site,
    submission: Submission,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> tuple[Comment, bool]:
    """Store, commit and enqueue the comment unless its idempotency key was seen; it, and whether
    it is new.

    Without a key every call stores a new comment: a foreign protocol's client token is an
    echo, not a promise that two requests are the same comment. A new comment in a closed
    thread raises ``ThreadClosed``; a retry of one stored before it closed gets its comment.
    """
    key = idempotency_key
    if key and (earlier := replay(session, site.id, key, request_hash)) is not None:
        return earlier, False
    comment = new_comment(site, submission, key, request_hash)
    if is_closed(session, site.id, comment.thread_id):
        # The stored thread id (cut to its column), as a moderator named it when closing.
        raise ThreadClosed(f"The thread {comment.thread_id!r} is closed to new comments.")
    session.add(comment)
    try:
        session.commit()
    except IntegrityError:
        # Two requests with one key raced; the other committed first.
        session.rollback()
        earlier = replay(session, site.id, key, request_hash) if key else None
        if earlier is None:
            raise
        return earlier, False
    enqueue_score(current_app.extensions["redis"], comment.id)
    return comment, True


def submit_and_wait(session: Session, site: Site, submission: Submission) -> Comment:
    """``submit`` without a key and wait up to ``WAIT_MAX_MS``; the comment as it stands then."""
    comment, _ = submit(session, site, submission)
    return wait_for_verdict(session, comment, current_app.config["WAIT_MAX_MS"])


def wait_for_verdict(session: Session, comment: Comment, wait_ms: int) -> Comment:
    """Wait up to ``wait_ms`` for a worker to decide; the comment as it stands then.

    The worker publishes on the comment's channel after it commits; the database is read again
    whenever a message arrives or a quarter second passes, so a lost message only costs latency.
    """
    redis = current_app.extensions["redis"]
    deadline = time.monotonic() + wait_ms / 1000
    pubsub = None
    try:
        # A Redis that just failed is not waited on again: the database is polled instead.
        if redis is not None and not breaker(redis).open:
            pubsub = redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(verdict_channel(comment.id))
    except RedisError:
        breaker(redis).trip()
        pubsub = None
    try:
        while True:
            session.refresh(comment)
            remaining = deadline - time.monotonic()
            if comment.status != CommentStatus.PENDING or remaining <= 0:
                return comment
            if pubsub is None:
                time.sleep(min(remaining, 0.05))
                continue
            try:
                pubsub.get_message(timeout=min(remaining, 0.25))
            except RedisError:
                breaker(redis).trip()
                pubsub.close()
                pubsub = None
    finally:
        if pubsub is not None:
            pubsub.close()
