"""The moderator's workflow on each card: readers' reports, notes, the author's standing and the
thread's state, and the page's own posts that change them.

Each post is scoped through the comment it was made on (``load_for``: another site's comment is a
404, as in the API), so the page never takes an author key or a thread id from the browser: the
author is the comment's (``settings.author_key``: the site's own id, else the e-mail hash) and
the thread is the comment's thread. The changes go through the same domain functions as the API's
``/v1/sites/<site>/authors/<author>/actions``, ``/threads/actions`` and ``/notes`` (``settings.
act_on_author``, ``act_on_thread``, ``add_note``), validated by the same schemas, so the audit
row and the webhook event are the same; CSRF and the session are checked as for every page post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import abort, jsonify, redirect, request
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from moderation import settings
from moderation.http.scope import load_for
from moderation.keys import moderator_of, with_moderators
from moderation.schemas.actions import (
    AuthorActionSubmitSchema,
    NoteSubmitSchema,
    ThreadActionSubmitSchema,
)
from moderation.storage import (
    AuthorSetting,
    Comment,
    Decision,
    Note,
    Report,
    ThreadSetting,
    db,
    utcnow,
)
from moderation.web.access import principal, safe_next, signed_in
from moderation.web.blueprint import bp

# The page's suspensions: a day or a week from now (the API takes any ``until``).
SUSPENSIONS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
# The page's author actions: the API's, with ``suspend`` split by length.
AUTHOR_ACTIONS = tuple(
    [a for a in settings.AUTHOR_ACTIONS if a != "suspend"] + [f"suspend_{s}" for s in SUSPENSIONS]
)
# The newest decisions on a comment its card lists.
HISTORY_SHOWN = 10


def standing_view(rows: Iterable[AuthorSetting], now: datetime) -> dict[str, Any]:
    """The author's settings as the card shows them: a setting on either key counts, as for the
    policy (``settings.standing``); a suspension only until it ends."""
    rows = list(rows)
    ends = [r.suspended_until for r in rows if r.suspended_until and r.suspended_until > now]
    return {
        "banned": any(r.banned for r in rows),
        "suspended_until": max(ends).isoformat() if ends else None,
        "premoderated": any(r.premoderated for r in rows),
        "trusted": any(r.trusted for r in rows),
    }


def thread_view(row: ThreadSetting | None) -> dict[str, bool]:
    return {
        "closed": bool(row and row.closed),
        "premoderated": bool(row and row.premoderated),
    }


def card_extras(session: Session, comments: list[Comment]) -> dict[str, dict[str, Any]]:
    """Per comment id: its reports, notes (its own and its author's), history, the author's
    standing and the thread's state; a handful of queries for the whole page, not per card."""
    if not comments:
        return {}
    ids = [c.id for c in comments]
    now = utcnow()
    reports: dict[str, list[Report]] = defaultdict(list)
    for report in session.scalars(
        select(Report).where(Report.comment_id.in_(ids)).order_by(Report.created_at, Report.id)
    ):
        reports[report.comment_id].append(report)
    history: dict[str, list[Decision]] = defaultdict(list)
    for decision in session.scalars(
        select(Decision)
        .where(Decision.comment_id.in_(ids))
        .order_by(Decision.created_at.desc(), Decision.id.desc())
    ):
        history[decision.comment_id].append(decision)
    author_keys = {(c.site_id, k) for c in comments for k in (c.author_id, c.author_hash) if k}
    threads = {(c.site_id, c.thread_id) for c in comments if c.thread_id}
    notes: dict[tuple[int, str, str], list[Note]] = defaultdict(list)
    subjects = [(c.site_id, "comment", c.id) for c in comments] + [
        (site, "author", key) for site, key in author_keys
    ]
    for note in session.scalars(
        select(Note)
        .where(tuple_(Note.site_id, Note.subject, Note.subject_id).in_(subjects))
        .order_by(Note.created_at, Note.id)
    ):
        notes[(note.site_id, note.subject, note.subject_id)].append(note)
    authors: dict[tuple[int, str], AuthorSetting] = {}
    if author_keys:
        authors = {
            (row.site_id, row.author_key): row
            for row in session.scalars(
                select(AuthorSetting).where(
                    tuple_(AuthorSetting.site_id, AuthorSetting.author_key).in_(author_keys)
                )
            )
        }
    thread_rows: dict[tuple[int, str], ThreadSetting] = {}
    if threads:
        thread_rows = {
            (row.site_id, row.thread_id): row
            for row in session.scalars(
                select(ThreadSetting).where(
                    tuple_(ThreadSetting.site_id, ThreadSetting.thread_id).in_(threads)
                )
            )
        }
    # Who decided and who wrote each note, by name (``keys.with_moderators``: one query).
    with_moderators(session, [d for rows in history.values() for d in rows])
    with_moderators(session, [n for rows in notes.values() for n in rows])
    found = {}
    for c in comments:
        keys = [k for k in (c.author_id, c.author_hash) if k]
        found[c.id] = {
            "reports": reports[c.id],
            "report_reasons": sorted(
                {r.reason for r in reports[c.id]},
                key=lambda reason: -sum(r.reason == reason for r in reports[c.id]),
            ),
            "notes": notes[(c.site_id, "comment", c.id)],
            "author_notes": [n for k in keys for n in notes[(c.site_id, "author", k)]],
            "history": history[c.id][:HISTORY_SHOWN],
            "author_key": settings.author_key(c),
            "standing": standing_view(
                (authors[(c.site_id, k)] for k in keys if (c.site_id, k) in authors), now
            ),
            "thread": thread_view(thread_rows.get((c.site_id, c.thread_id or ""))),
        }
    return found


def posted() -> dict[str, Any]:
    """The post's fields: a script's JSON body or a plain form (one value each)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(422, description="Send a JSON object.")
        return body
    return request.form.to_dict()


def checked(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` loaded by the API's own schema; a 422 that says what is wrong otherwise."""
    try:
        return dict(schema.load(data))
    except ma.ValidationError as error:
        abort(422, description=f"Not valid: {error.messages}")


def answer(data: dict[str, Any]) -> Any:
    """JSON for the script, else back to the page the form was on (303)."""
    if request.is_json:
        return jsonify(data), 201
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/comments/<comment_id>/notes")
@signed_in
def add_note(comment_id: str) -> Any:
    """A note on the comment, or (``on=author``) on its author, as the API's notes routes add it."""
    session = db.session()
    who = principal()
    comment = load_for(session, who, comment_id)
    body = posted()
    on = body.get("on") or "comment"
    if on not in settings.SUBJECTS:
        abort(422, description="A note is on the comment or on its author.")
    text = checked(NoteSubmitSchema(), {"text": body.get("text")})["text"]
    subject_id = comment.id if on == "comment" else settings.author_key(comment)
    if subject_id is None:
        abort(422, description="This comment's author has no id and no e-mail: no author to note.")
    note = settings.add_note(session, comment.site, on, subject_id, text, who.key_id)
    session.commit()
    return answer(
        {
            "id": note.id,
            "on": on,
            "text": note.text,
            "moderator": moderator_of(session, note.key_id),
            "created_at": note.created_at.isoformat(),
        }
    )


@bp.post("/comments/<comment_id>/author")
@signed_in
def author_action(comment_id: str) -> Any:
    """Ban, suspend (24 h, 7 days), pre-moderate or trust the comment's author, or undo it."""
    session = db.session()
    who = principal()
    comment = load_for(session, who, comment_id)
    body = posted()
    action = body.get("action")
    if action not in AUTHOR_ACTIONS:
        abort(422, description=f"The action must be one of {', '.join(AUTHOR_ACTIONS)}.")
    key = settings.author_key(comment)
    if key is None:
        abort(422, description="This comment's author has no id and no e-mail: nothing to act on.")
    wanted: dict[str, Any] = {"action": action, "note": body.get("note") or ""}
    if action.startswith("suspend_"):
        wanted["action"] = "suspend"
        wanted["until"] = (utcnow() + SUSPENSIONS[action.removeprefix("suspend_")]).isoformat()
    args = checked(AuthorActionSubmitSchema(), wanted)
    settings.act_on_author(
        session,
        comment.site,
        key,
        args["action"],
        who.key_id,
        until=args.get("until"),
        note=args.get("note") or None,
    )
    session.flush()
    rows = session.scalars(
        select(AuthorSetting).where(
            AuthorSetting.site_id == comment.site_id,
            AuthorSetting.author_key.in_(
                [k for k in (comment.author_id, comment.author_hash) if k]
            ),
        )
    )
    standing = standing_view(rows, utcnow())
    session.commit()
    return answer({"site": comment.site.name, "author": key, "standing": standing})


@bp.post("/comments/<comment_id>/thread")
@signed_in
def thread_action(comment_id: str) -> Any:
    """Close the comment's thread or reopen it; pre-moderate it or stop."""
    session = db.session()
    who = principal()
    comment = load_for(session, who, comment_id)
    body = posted()
    if comment.thread_id is None:
        abort(422, description="This comment names no thread.")
    args = checked(
        ThreadActionSubmitSchema(),
        {"thread": comment.thread_id, "action": body.get("action"), "note": body.get("note") or ""},
    )
    row = settings.act_on_thread(
        session, comment.site, comment.thread_id, args["action"], who.key_id, args.get("note")
    )
    state = thread_view(row)
    session.commit()
    return answer({"site": comment.site.name, "thread": comment.thread_id, "state": state})
