"""The moderators' side: the review queue, decisions (one or many) and a comment's history."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from moderation import db
from moderation.api.comments import load_for
from moderation.auth import Principal, authenticate
from moderation.decisions import apply_moderator_decision
from moderation.schemas import (
    BulkDecisionSubmitSchema,
    BulkResultSchema,
    DecisionSchema,
    DecisionSubmitSchema,
    HistorySchema,
    ReviewPageSchema,
    ReviewQueueArgsSchema,
)
from moderation.storage import Comment, Decision, Role, Score, Site

blp = Blueprint("review", __name__, url_prefix="/v1", description="Review held comments")


def encode_cursor(comment: Comment) -> str:
    raw = json.dumps([comment.created_at.isoformat(), comment.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, comment_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created_at), str(comment_id)
    except (ValueError, TypeError, binascii.Error):
        abort(422, message="The cursor is not valid.", errors={"query": {"cursor": ["Invalid."]}})


def site_scope(session: Session, principal: Principal, site_name: str | None) -> int | None:
    """The site id to filter on: the key's own site, or the one named (if the key may see it)."""
    if site_name is None:
        return principal.site_id
    site_id = session.scalar(select(Site.id).where(Site.name == site_name))
    if site_id is None or not principal.can_access_site(site_id):
        abort(404, message=f"No site named {site_name!r}.")
    return site_id


def filtered(query: Select[Any], args: dict[str, Any], site_id: int | None) -> Select[Any]:
    """Apply every filter of the review queue except status and the cursor."""
    if site_id is not None:
        query = query.where(Comment.site_id == site_id)
    if "thread" in args:
        query = query.where(Comment.thread_id == args["thread"])
    if "author" in args:
        query = query.where(Comment.author_hash == args["author"])
    if "since" in args:
        query = query.where(Comment.created_at >= args["since"])
    if "until" in args:
        query = query.where(Comment.created_at < args["until"])
    if "label" in args:
        scored = select(Score.id).where(
            Score.comment_id == Comment.id,
            Score.label == args["label"],
            Score.value >= args.get("min_score", 0.0),
        )
        query = query.where(scored.exists())
    if "reason" in args:
        # reasons is a short JSON list; a LIKE on its text works on SQLite and PostgreSQL alike.
        query = query.where(cast(Comment.reasons, Text).like(f'%"{args["reason"]}"%'))
    return query


def after_cursor(query: Select[Any], cursor: str, newest_first: bool) -> Select[Any]:
    created_at, comment_id = decode_cursor(cursor)
    if newest_first:
        return query.where(
            or_(
                Comment.created_at < created_at,
                and_(Comment.created_at == created_at, Comment.id < comment_id),
            )
        )
    return query.where(
        or_(
            Comment.created_at > created_at,
            and_(Comment.created_at == created_at, Comment.id > comment_id),
        )
    )


@blp.route("/review/queue")
class ReviewQueue(MethodView):
    @blp.arguments(ReviewQueueArgsSchema, location="query")
    @blp.response(200, ReviewPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Comments waiting for a moderator (``held`` by default), newest first, in pages.

        ``next_cursor`` is null on the last page; ``counts`` gives the number of comments per
        status under the same filters.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        site_id = site_scope(session, principal, args.get("site"))
        newest_first = args["sort"] == "newest"
        query = filtered(select(Comment), args, site_id).where(Comment.status == args["status"])
        if "cursor" in args:
            query = after_cursor(query, args["cursor"], newest_first)
        order = (Comment.created_at.desc(), Comment.id.desc())
        if not newest_first:
            order = (Comment.created_at.asc(), Comment.id.asc())
        rows = session.scalars(query.order_by(*order).limit(args["limit"] + 1)).all()
        items = rows[: args["limit"]]
        counts_query = filtered(
            select(Comment.status, func.count()).group_by(Comment.status), args, site_id
        )
        counts = dict(session.execute(counts_query).all())
        return {
            "items": items,
            "next_cursor": encode_cursor(items[-1]) if len(rows) > args["limit"] else None,
            "counts": counts,
        }


@blp.route("/comments/<comment_id>/decision")
class CommentDecision(MethodView):
    @blp.arguments(DecisionSubmitSchema)
    @blp.response(201, DecisionSchema)
    def post(self, body: dict[str, Any], comment_id: str) -> Decision:
        """Approve or reject a comment; ``spam`` and ``not_spam`` also label it for training."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        comment = load_for(session, principal, comment_id)
        decision = apply_moderator_decision(
            session, comment, body["action"], principal.key_id, body.get("reason")
        )
        session.commit()
        return decision


@blp.route("/review/decisions")
class BulkDecisions(MethodView):
    @blp.arguments(BulkDecisionSubmitSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, body: dict[str, Any]) -> dict[str, list[str]]:
        """Apply one action to many comments in one transaction; unknown ids are listed."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        ids = list(dict.fromkeys(body["ids"]))
        found = {
            comment.id: comment
            for comment in session.scalars(select(Comment).where(Comment.id.in_(ids)))
            if principal.can_access_site(comment.site_id)
        }
        for comment_id in ids:
            if comment_id in found:
                apply_moderator_decision(
                    session, found[comment_id], body["action"], principal.key_id, body.get("reason")
                )
        session.commit()
        return {
            "decided": [i for i in ids if i in found],
            "not_found": [i for i in ids if i not in found],
        }


@blp.route("/comments/<comment_id>/history")
class CommentHistory(MethodView):
    @blp.response(200, HistorySchema)
    def get(self, comment_id: str) -> dict[str, Any]:
        """The comment as a moderator sees it and every decision on it, oldest first."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        comment = load_for(session, principal, comment_id)
        decisions = session.scalars(
            select(Decision)
            .where(Decision.comment_id == comment.id)
            .order_by(Decision.created_at, Decision.id)
        ).all()
        return {"comment": comment, "decisions": decisions}
