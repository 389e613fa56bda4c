"""Submit a comment and read its verdict (site keys; moderators may read any of their sites)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from moderation.exceptions import Conflict
from moderation.http.auth import authenticate, permits
from moderation.http.scope import load_for
from moderation.reports import reports_on
from moderation.schemas.comments import (
    CommentSchema,
    CommentSubmitSchema,
    SubmitHeadersSchema,
    WaitArgsSchema,
)
from moderation.settings import notes_on
from moderation.storage import Comment, CommentStatus, Role, Site, db
from moderation.submissions import Submission, request_fingerprint, submit, wait_for_verdict

blp = Blueprint("comments", __name__, url_prefix="/v1/comments", description="Submit and read")


def submission(body: dict[str, Any]) -> Submission:
    """The request's comment: its body, and the client's address and headers."""
    thread = body.get("thread") or {}
    return Submission(
        text=body["text"],
        name=body["name"],
        email=body.get("email"),
        url=body.get("url"),
        thread_id=thread.get("id"),
        thread_url=thread.get("url"),
        thread_title=thread.get("title"),
        parent_id=body.get("parent_id"),
        language=body.get("language"),
        client_id=body.get("client_id"),
        author_id=body.get("author_id"),
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        referrer=request.referrer,
    )


@blp.route("")
class Comments(MethodView):
    @blp.arguments(CommentSubmitSchema)
    @blp.arguments(WaitArgsSchema, location="query", as_kwargs=True)
    @blp.arguments(SubmitHeadersSchema, location="headers", as_kwargs=True)
    @blp.response(202, CommentSchema)
    @blp.alt_response(200, schema=CommentSchema, description="The verdict, when ready in time.")
    @blp.alt_response(
        409,
        response="CONFLICT",
        description="The idempotency key was reused, or a moderator closed the thread.",
    )
    def post(self, body: dict[str, Any], wait: int, idempotency_key: str | None = None) -> Any:
        """Submit a comment for moderation.

        Answers once the comment is stored: 202 with status ``pending``. With ``?wait=MS`` the
        answer waits (up to the server's cap) for the verdict and is 200 when it arrived.
        """
        session = db.session()
        principal = authenticate(session, Role.SUBMIT)
        site = session.get_one(Site, principal.site_id)
        # The site's own comment id doubles as the idempotency key.
        key = idempotency_key or body.get("client_id")
        try:
            # A closed thread is a Conflict too (ThreadClosed); a retry still gets its answer.
            comment, _ = submit(session, site, submission(body), key, request_fingerprint(body))
        except Conflict as error:
            abort(409, message=str(error))
        wait = min(wait, current_app.config["WAIT_MAX_MS"])
        if wait and comment.status == CommentStatus.PENDING:
            comment = wait_for_verdict(session, comment, wait)
        code = 202 if comment.status == CommentStatus.PENDING else 200
        return comment, code, {"Location": f"/v1/comments/{comment.id}"}


@blp.route("/<comment_id>")
class CommentById(MethodView):
    @blp.response(200, CommentSchema)
    def get(self, comment_id: str) -> Comment:
        """A comment's status, verdict, reasons, scores per label and model versions.

        With its readers' reports per reason; a moderator also gets each report with the
        reader's words (never the reader) and the moderators' notes on it.
        """
        session = db.session()
        principal = authenticate(session, Role.SUBMIT, Role.MODERATE)
        comment = load_for(session, principal, comment_id)
        found = reports_on(session, comment.id)
        # Not columns: the schema reads them from the object.
        comment.report_reasons = dict(Counter(report.reason for report in found))  # type: ignore[attr-defined]
        if permits(principal, [Role.MODERATE]):
            comment.reports = found  # type: ignore[attr-defined]
            comment.notes = notes_on(session, comment.site_id, "comment", comment.id)  # type: ignore[attr-defined]
        return comment
