"""The moderators' side: the review queue, decisions (one or many) and a comment's history."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import func, select

from moderation import watch_lists
from moderation.authors import with_author_records
from moderation.decisions import apply_moderator_decision, decide_many
from moderation.exceptions import NotFound
from moderation.http.auth import authenticate
from moderation.http.scope import load_for, site_scope
from moderation.keys import with_moderators
from moderation.review import InvalidCursor, filtered, queue_page, status_counts
from moderation.schemas.review import (
    AuthorArgsSchema,
    AuthorSchema,
    BulkDecisionSubmitSchema,
    BulkResultSchema,
    DecisionSchema,
    DecisionSubmitSchema,
    HistorySchema,
    ReviewPageSchema,
    ReviewQueueArgsSchema,
)
from moderation.storage import Actor, Comment, Decision, Role, db

blp = Blueprint("review", __name__, url_prefix="/v1", description="Review held comments")


@blp.route("/review/queue")
class ReviewQueue(MethodView):
    @blp.arguments(ReviewQueueArgsSchema, location="query")
    @blp.response(200, ReviewPageSchema)
    @blp.alt_response(
        404, response="NOT_FOUND", description="No such site or watch-list for this key."
    )
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Comments waiting for a moderator (``held`` by default), newest first, in pages.

        ``sort``: ``newest``, ``oldest``, or by the score of ``label``: ``score`` (highest first)
        or ``score_asc``. Each comment carries ``author_counts``, its author's record.

        ``next_cursor`` is null on the last page; ``counts`` gives the number of comments per
        status under the same filters. ``q`` searches the text; ``watch_list`` narrows the queue
        to a watch-list's threads (and its site).
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        site_id = site_scope(session, principal, args.get("site"))
        try:
            args, site_id = watch_lists.for_queue(session, args, site_id, principal.can_access_site)
        except NotFound as error:
            abort(404, message=str(error))
        except watch_lists.OtherSite as error:
            abort(422, message=str(error), errors={"query": {"watch_list": [str(error)]}})
        try:
            items, next_cursor = queue_page(session, args, site_id)
        except InvalidCursor as error:
            abort(422, message=str(error), errors={"query": {"cursor": ["Invalid."]}})
        return {
            "items": items,
            "next_cursor": next_cursor,
            "counts": status_counts(session, args, site_id),
        }


@blp.route("/comments/<comment_id>/decision")
class CommentDecision(MethodView):
    @blp.arguments(DecisionSubmitSchema)
    @blp.response(201, DecisionSchema)
    def post(self, body: dict[str, Any], comment_id: str) -> Decision:
        """Approve or reject a comment; every decision labels it for training (docs/learning.md).

        A rejection may name ``labels``: what the comment is (``toxicity`` if it names none
        and the policy held it for no model label).
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        comment = load_for(session, principal, comment_id)
        if "expected_status" in body:
            # Locked (on PostgreSQL) so that of two moderators, the second sees the first's work.
            session.refresh(comment, with_for_update=True)
            if comment.status != body["expected_status"]:
                abort(409, message=f"The comment is {comment.status} now; reload it.")
        decision = apply_moderator_decision(
            session,
            comment,
            body["action"],
            principal.key_id,
            body.get("reason"),
            body.get("labels", ()),
        )
        session.commit()
        with_moderators(session, [decision])
        return decision


@blp.route("/review/decisions")
class BulkDecisions(MethodView):
    @blp.arguments(BulkDecisionSubmitSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply one action to many comments in one transaction, with a result per id.

        ``decided``, ``not_found`` (unknown, or of a site the key does not cover) or ``conflict``
        (not in ``expected_status`` any more). All the decisions commit together or none does.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        results = decide_many(
            session,
            body["ids"],
            body["action"],
            key_id=principal.key_id,
            note=body.get("reason"),
            expected_status=body.get("expected_status"),
            covers=principal.can_access_site,
            labels=body.get("labels", ()),
        )
        session.commit()
        by_result = {
            kind: [r["id"] for r in results if r["result"] == kind]
            for kind in ("decided", "not_found", "conflict")
        }
        return {"results": results, **by_result}


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
        with_author_records(session, [comment])
        return {"comment": comment, "decisions": with_moderators(session, decisions)}


@blp.route("/review/authors/<author_hash>")
class AuthorRecord(MethodView):
    @blp.arguments(AuthorArgsSchema, location="query")
    @blp.response(200, AuthorSchema)
    def get(self, args: dict[str, Any], author_hash: str) -> dict[str, Any]:
        """An author's comments (by e-mail hash) and the moderators' decisions on them.

        Only the sites the key covers (or the one named by ``site``); ``counts`` is per status,
        ``comments`` and ``decisions`` the newest ``limit`` of each.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        site_id = site_scope(session, principal, args.get("site"))
        mine = filtered(select(Comment.id), {"author": author_hash}, site_id)
        seen_query = filtered(
            select(func.min(Comment.created_at), func.max(Comment.created_at)),
            {"author": author_hash},
            site_id,
        )
        first_seen, last_seen = session.execute(seen_query).one()
        comments = session.scalars(
            filtered(select(Comment), {"author": author_hash}, site_id)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(args["limit"])
        ).all()
        decisions = session.scalars(
            select(Decision)
            .where(Decision.comment_id.in_(mine), Decision.actor == Actor.MODERATOR)
            .order_by(Decision.created_at.desc(), Decision.id.desc())
            .limit(args["limit"])
        ).all()
        return {
            "author_hash": author_hash,
            "counts": status_counts(session, {"author": author_hash}, site_id),
            "first_seen": first_seen,
            "last_seen": last_seen,
            "comments": comments,
            "decisions": with_moderators(session, decisions),
        }
