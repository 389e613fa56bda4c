"""Submit a comment and read its verdict (site keys; moderators may read any of their sites)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.api.queries import load_for
from moderation.http.auth import authenticate
from moderation.privacy import keyed_hash
from moderation.queue import breaker, enqueue_score, verdict_channel
from moderation.schemas.comments import (
    CommentSchema,
    CommentSubmitSchema,
    SubmitHeadersSchema,
    WaitArgsSchema,
)
from moderation.storage import Comment, CommentStatus, Role, Site, db

blp = Blueprint("comments", __name__, url_prefix="/v1/comments", description="Submit and read")


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def new_comment(site: Site, body: dict[str, Any], idempotency_key: str | None) -> Comment:
    thread = body.get("thread") or {}
    secret_key = current_app.config["SECRET_KEY"]
    return Comment(
        # The relationship, not just site_id: the response names the site, and a lazy load after
        # the commit would open a second transaction on the request's hot path.
        site=site,
        name=body["name"],
        text=body["text"],
        email=body.get("email"),
        author_hash=keyed_hash(body.get("email"), secret_key),
        url=body.get("url"),
        thread_id=thread.get("id"),
        thread_url=thread.get("url"),
        thread_title=thread.get("title"),
        parent_id=body.get("parent_id"),
        language=body.get("language"),
        client_id=body.get("client_id"),
        idempotency_key=idempotency_key,
        request_hash=request_fingerprint(body),
        ip_hash=keyed_hash(request.remote_addr, secret_key),
        user_agent=(request.user_agent.string or None) and request.user_agent.string[:500],
        referrer=(request.referrer or None) and request.referrer[:2048],
    )


def replay(session: Session, site_id: int, key: str, body: dict[str, Any]) -> Comment | None:
    """The comment an earlier request with this idempotency key created, if any (409 on misuse)."""
    earlier = session.scalar(
        select(Comment).where(Comment.site_id == site_id, Comment.idempotency_key == key)
    )
    if earlier is not None and earlier.request_hash != request_fingerprint(body):
        abort(409, message="This idempotency key was used with a different comment.")
    return earlier


def insert(
    session: Session, site: Site, body: dict[str, Any], idempotency_key: str | None = None
) -> tuple[Comment, bool]:
    """Store the comment unless its idempotency key was seen; return it and whether it is new."""
    key = idempotency_key or body.get("client_id")
    if key and (earlier := replay(session, site.id, key, body)) is not None:
        return earlier, False
    comment = new_comment(site, body, key)
    session.add(comment)
    try:
        session.commit()
    except IntegrityError:
        # Two requests with one key raced; the other committed first.
        session.rollback()
        earlier = replay(session, site.id, key, body) if key else None
        if earlier is None:
            raise
        return earlier, False
    return comment, True


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
            if comment.status != CommentStatus.PENDING.value or remaining <= 0:
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


@blp.route("")
class Comments(MethodView):
    @blp.arguments(CommentSubmitSchema)
    @blp.arguments(WaitArgsSchema, location="query", as_kwargs=True)
    @blp.arguments(SubmitHeadersSchema, location="headers", as_kwargs=True)
    @blp.response(202, CommentSchema)
    @blp.alt_response(200, schema=CommentSchema, description="The verdict, when ready in time.")
    @blp.alt_response(409, response="CONFLICT", description="The idempotency key was reused.")
    def post(self, body: dict[str, Any], wait: int, idempotency_key: str | None = None) -> Any:
        """Submit a comment for moderation.

        Answers once the comment is stored: 202 with status ``pending``. With ``?wait=MS`` the
        answer waits (up to the server's cap) for the verdict and is 200 when it arrived.
        """
        session = db.session()
        principal = authenticate(session, Role.SUBMIT)
        site = session.get(Site, principal.site_id)
        comment, created = insert(session, site, body, idempotency_key)
        if created:
            enqueue_score(current_app.extensions["redis"], comment.id)
        wait = min(wait, current_app.config["WAIT_MAX_MS"])
        if wait and comment.status == CommentStatus.PENDING.value:
            comment = wait_for_verdict(session, comment, wait)
        code = 202 if comment.status == CommentStatus.PENDING.value else 200
        return comment, code, {"Location": f"/v1/comments/{comment.id}"}


@blp.route("/<comment_id>")
class CommentById(MethodView):
    @blp.response(200, CommentSchema)
    def get(self, comment_id: str) -> Comment:
        """A comment's status, verdict, reasons, scores per label and model versions."""
        session = db.session()
        principal = authenticate(session, Role.SUBMIT, Role.MODERATE)
        return load_for(session, principal, comment_id)
