"""Readers' reports (site keys), and moderators' actions on authors and threads, and notes."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import reports, settings
from moderation.exceptions import Conflict
from moderation.http.auth import authenticate
from moderation.http.scope import load_for, visible_site
from moderation.keys import with_moderators
from moderation.review import by_author, status_counts
from moderation.schemas.actions import (
    ActionSchema,
    AuthorActionSubmitSchema,
    AuthorStandingSchema,
    NoteSchema,
    NoteSubmitSchema,
    ReportSchema,
    ReportSubmitSchema,
    ThreadActionSubmitSchema,
    ThreadArgsSchema,
    ThreadListSchema,
    ThreadSettingsSchema,
)
from moderation.storage import (
    Actor,
    AuthorSetting,
    Comment,
    Decision,
    ModeratorAction,
    Note,
    Role,
    ThreadSetting,
    db,
)

blp = Blueprint(
    "actions", __name__, url_prefix="/v1", description="Reports, authors, threads and notes"
)

# The newest comments, decisions and actions an author's record lists.
RECORD_LIMIT = 50
# The newest actions listed with each thread.
THREAD_ACTIONS_SHOWN = 20


@blp.route("/comments/<comment_id>/reports")
class CommentReports(MethodView):
    @blp.arguments(ReportSubmitSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(409, response="CONFLICT", description="This reader already reported it.")
    def post(self, body: dict[str, Any], comment_id: str) -> dict[str, Any]:
        """A reader reports a comment (the site key): one report per reader per comment.

        The reader is its ``reader_id`` or, without one, the client address, kept only as a keyed
        hash. An approved comment is held again at the site's ``rehold_after_reports``.
        """
        session = db.session()
        principal = authenticate(session, Role.SUBMIT)
        comment = load_for(session, principal, comment_id)
        reader = reports.reader_hash(
            current_app.config["SECRET_KEY"], body.get("reader_id"), request.remote_addr
        )
        if reader is None:
            abort(422, message="No reader to count.", errors={"json": {"reader_id": ["Send one."]}})
        try:
            row = reports.report(session, comment, reader, body["reason"], body.get("text"))
        except Conflict as error:
            session.rollback()
            abort(409, message=str(error))
        session.commit()
        return {
            "comment_id": comment.id,
            "reason": row.reason,
            "created_at": row.created_at,
            "report_count": comment.report_count,
            "status": comment.status,
        }


@blp.route("/comments/<comment_id>/notes")
class CommentNotes(MethodView):
    @blp.arguments(NoteSubmitSchema)
    @blp.response(201, NoteSchema)
    def post(self, body: dict[str, Any], comment_id: str) -> Note:
        """A moderator's note on a comment, for the next moderator (audited)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        comment = load_for(session, principal, comment_id)
        note = settings.add_note(
            session, comment.site, "comment", comment.id, body["text"], principal.key_id
        )
        session.commit()
        return note


@blp.route("/sites/<site>/authors/<author>")
class AuthorStanding(MethodView):
    @blp.response(200, AuthorStandingSchema)
    def get(self, site: str, author: str) -> dict[str, Any]:
        """An author of a site (the site's author id, or the e-mail hash): the moderators'
        settings, comments per status, the newest comments and decisions, notes and actions."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        mine = by_author(author)
        comments = session.scalars(
            select(Comment)
            .where(Comment.site_id == found.id, mine)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(RECORD_LIMIT)
        ).all()
        decisions = session.scalars(
            select(Decision)
            .join(Comment, Comment.id == Decision.comment_id)
            .where(Comment.site_id == found.id, mine, Decision.actor != Actor.POLICY)
            .order_by(Decision.created_at.desc(), Decision.id.desc())
            .limit(RECORD_LIMIT)
        ).all()
        setting = settings.author_setting(session, found.id, author) or AuthorSetting(
            banned=False, premoderated=False, trusted=False
        )
        return {
            "site": found.name,
            "author": author,
            "settings": setting,
            "counts": status_counts(session, {"author": author}, found.id),
            "comments": comments,
            "decisions": with_moderators(session, decisions),
            "notes": settings.notes_on(session, found.id, "author", author),
            "actions": settings.actions_on(session, found.id, "author", author, RECORD_LIMIT),
        }


@blp.route("/sites/<site>/authors/<author>/actions")
class AuthorActions(MethodView):
    @blp.arguments(AuthorActionSubmitSchema)
    @blp.response(201, ActionSchema)
    def post(self, body: dict[str, Any], site: str, author: str) -> ModeratorAction:
        """Ban, suspend until a time, pre-moderate or trust an author, or undo it (audited).

        The worker applies it to the author's next comments: ``author_banned`` and
        ``author_suspended`` reject, ``author_premoderated`` holds, ``author_trusted`` approves.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        settings.act_on_author(
            session,
            found,
            author,
            body["action"],
            principal.key_id,
            until=body.get("until"),
            note=body.get("note"),
        )
        action = settings.actions_on(session, found.id, "author", author, 1)[0]
        session.commit()
        return action


@blp.route("/sites/<site>/authors/<author>/notes")
class AuthorNotes(MethodView):
    @blp.arguments(NoteSubmitSchema)
    @blp.response(201, NoteSchema)
    def post(self, body: dict[str, Any], site: str, author: str) -> Note:
        """A moderator's note on an author of a site, for the next moderator (audited)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        note = settings.add_note(session, found, "author", author, body["text"], principal.key_id)
        session.commit()
        return note


@blp.route("/sites/<site>/threads")
class Threads(MethodView):
    @blp.arguments(ThreadArgsSchema, location="query")
    @blp.response(200, ThreadListSchema)
    def get(self, args: dict[str, Any], site: str) -> dict[str, Any]:
        """The site's threads a moderator closed or pre-moderated (or ``thread``, if named), each
        with its newest actions; a thread never acted on is listed open, without actions."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        if "thread" in args:
            names = [args["thread"]]
        else:
            names = list(
                session.scalars(
                    select(ThreadSetting.thread_id)
                    .where(
                        ThreadSetting.site_id == found.id,
                        ThreadSetting.closed | ThreadSetting.premoderated,
                    )
                    .order_by(ThreadSetting.updated_at.desc(), ThreadSetting.id.desc())
                    .limit(args["limit"])
                )
            )
        return {"items": [thread_view(session, found.id, found.name, name) for name in names]}


@blp.route("/sites/<site>/threads/actions")
class ThreadActions(MethodView):
    @blp.arguments(ThreadActionSubmitSchema)
    @blp.response(201, ThreadSettingsSchema)
    def post(self, body: dict[str, Any], site: str) -> dict[str, Any]:
        """Close a thread to new comments or reopen it; pre-moderate it or stop (audited).

        The thread is named in the body: thread ids are often paths, which a URL cannot carry.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        settings.act_on_thread(
            session, found, body["thread"], body["action"], principal.key_id, body.get("note")
        )
        view = thread_view(session, found.id, found.name, body["thread"])
        session.commit()
        return view


def thread_view(session: Session, site_id: int, site_name: str, thread: str) -> dict[str, Any]:
    """A thread's settings and newest actions, as ``ThreadSettingsSchema`` dumps them."""
    setting = settings.thread_setting(session, site_id, thread) or ThreadSetting(
        closed=False, premoderated=False
    )
    return {
        "site": site_name,
        "thread": thread,
        "closed": setting.closed,
        "premoderated": setting.premoderated,
        "actions": settings.actions_on(session, site_id, "thread", thread, THREAD_ACTIONS_SHOWN),
    }
