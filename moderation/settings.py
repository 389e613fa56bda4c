"""Moderators' settings on authors and threads, and their notes, each an audited action.

An author of a site is keyed by the site's own author id when its form sends one
(``Comment.author_id``), else by the keyed hash of the e-mail (``Comment.author_hash``). Both are
as forgeable as the form that sends them, like the e-mail ``trusted_after`` counts by; a site that
trusts authors should send them from its backend. Every change is a ``ModeratorAction`` row (the
audit log of what changes no comment's status) and a webhook event, in the caller's transaction;
the worker reads the settings into the policy's ``Standing`` (``standing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import webhooks
from moderation.keys import moderator_of, with_moderators
from moderation.policy import Standing
from moderation.storage import (
    AuthorSetting,
    Comment,
    ModeratorAction,
    Note,
    Reason,
    Site,
    ThreadSetting,
    utcnow,
)

# An author action -> the settings it writes (``suspend`` adds its ``until``).
AUTHOR_ACTIONS: dict[str, dict[str, Any]] = {
    "ban": {"banned": True},
    "unban": {"banned": False},
    "suspend": {},
    "unsuspend": {"suspended_until": None},
    # Pre-moderation and trust exclude each other: the newer one wins.
    "premoderate": {"premoderated": True, "trusted": False},
    "unpremoderate": {"premoderated": False},
    "trust": {"trusted": True, "premoderated": False},
    "untrust": {"trusted": False},
}
THREAD_ACTIONS: dict[str, dict[str, Any]] = {
    "close": {"closed": True},
    "reopen": {"closed": False},
    "premoderate": {"premoderated": True},
    "unpremoderate": {"premoderated": False},
}
SUBJECTS = ("comment", "author")


def author_key(comment: Comment) -> str | None:
    """The key of the comment's author: the site's own id, else the e-mail hash (None: neither)."""
    return comment.author_id or comment.author_hash


def audit(
    session: Session,
    site: Site,
    subject: str,
    subject_id: str,
    action: str,
    key_id: int | None,
    *,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
) -> ModeratorAction:
    """Log one action and record its webhook event (``<subject>.updated`` or ``note.added``).

    ``subject``: ``author``, ``thread``, ``comment`` (notes only) or ``watch_list``.
    """
    row = ModeratorAction(
        site_id=site.id,
        subject=subject,
        subject_id=subject_id,
        key_id=key_id,
        action=action,
        detail=detail or {},
        note=note or None,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    kind = (
        webhooks.NOTE_ADDED
        if action == "note"
        else {
            "author": webhooks.AUTHOR_UPDATED,
            "thread": webhooks.THREAD_UPDATED,
            "watch_list": webhooks.WATCH_LIST_UPDATED,
        }[subject]
    )
    data = {"action": action_view(row, moderator_of(session, key_id))}
    # An author's key may be an e-mail hash; only the site's own id goes to receivers.
    if subject == "author" and len(subject_id) == 64 and _is_hex(subject_id):
        data["action"]["subject_id"] = None
    webhooks.record_action_event(
        session, site, kind, data, comment_id=subject_id if subject == "comment" else None
    )
    return row


def _is_hex(value: str) -> bool:
    return all(char in "0123456789abcdef" for char in value)


def action_view(row: ModeratorAction, moderator: str | None) -> dict[str, Any]:
    """An action as the webhooks carry it, with who did it (the note stays with the moderators).

    ``moderator`` is the key's display name (``moderation.keys.moderator_of``).
    """
    return {
        "id": row.id,
        "subject": row.subject,
        "subject_id": row.subject_id,
        "moderator": moderator,
        "action": row.action,
        "detail": dict(row.detail or {}),
        "created_at": row.created_at.isoformat(),
    }


def author_setting(session: Session, site_id: int, key: str) -> AuthorSetting | None:
    return session.scalar(
        select(AuthorSetting).where(
            AuthorSetting.site_id == site_id, AuthorSetting.author_key == key
        )
    )


def thread_setting(session: Session, site_id: int, thread_id: str | None) -> ThreadSetting | None:
    if thread_id is None:
        return None
    return session.scalar(
        select(ThreadSetting).where(
            ThreadSetting.site_id == site_id, ThreadSetting.thread_id == thread_id
        )
    )


def act_on_author(
    session: Session,
    site: Site,
    key: str,
    action: str,
    key_id: int | None,
    *,
    until: datetime | None = None,
    note: str | None = None,
) -> AuthorSetting:
    """Apply an author action (``AUTHOR_ACTIONS``) and log it; the author's settings now."""
    setting = author_setting(session, site.id, key)
    if setting is None:
        setting = AuthorSetting(
            site_id=site.id, author_key=key, banned=False, premoderated=False, trusted=False
        )
        session.add(setting)
    changes = dict(AUTHOR_ACTIONS[action])
    if action == "suspend":
        changes["suspended_until"] = until
    for name, value in changes.items():
        setattr(setting, name, value)
    setting.updated_at = utcnow()
    detail = {"until": until.isoformat()} if until is not None else {}
    audit(session, site, "author", key, action, key_id, detail=detail, note=note)
    return setting


def act_on_thread(
    session: Session, site: Site, thread_id: str, action: str, key_id: int | None, note: str | None
) -> ThreadSetting:
    """Apply a thread action (``THREAD_ACTIONS``) and log it; the thread's settings now."""
    setting = thread_setting(session, site.id, thread_id)
    if setting is None:
        setting = ThreadSetting(
            site_id=site.id, thread_id=thread_id, closed=False, premoderated=False
        )
        session.add(setting)
    for name, value in THREAD_ACTIONS[action].items():
        setattr(setting, name, value)
    setting.updated_at = utcnow()
    audit(session, site, "thread", thread_id, action, key_id, note=note)
    return setting


def add_note(
    session: Session, site: Site, subject: str, subject_id: str, text: str, key_id: int | None
) -> Note:
    """A moderator's note on a comment or an author, logged like any action."""
    note = Note(
        site_id=site.id,
        subject=subject,
        subject_id=subject_id,
        key_id=key_id,
        text=text,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    audit(session, site, subject, subject_id, "note", key_id, detail={"note_id": note.id})
    with_moderators(session, [note])
    return note


def notes_on(session: Session, site_id: int, subject: str, subject_id: str) -> Sequence[Note]:
    """The notes on one comment or author, oldest first, each with its ``moderator``."""
    notes = session.scalars(
        select(Note)
        .where(Note.site_id == site_id, Note.subject == subject, Note.subject_id == subject_id)
        .order_by(Note.created_at, Note.id)
    ).all()
    return with_moderators(session, notes)


def actions_on(
    session: Session, site_id: int, subject: str, subject_id: str, limit: int = 50
) -> Sequence[ModeratorAction]:
    """The newest actions on one author, thread or comment, newest first, each with its
    ``moderator``."""
    actions = session.scalars(
        select(ModeratorAction)
        .where(
            ModeratorAction.site_id == site_id,
            ModeratorAction.subject == subject,
            ModeratorAction.subject_id == subject_id,
        )
        .order_by(ModeratorAction.created_at.desc(), ModeratorAction.id.desc())
        .limit(limit)
    ).all()
    return with_moderators(session, actions)


def standing(session: Session, comment: Comment) -> Standing:
    """What moderators set on the comment's author (by either key) and thread, as the policy
    reads it; a suspension counts if it had not ended when the comment was written."""
    keys = {key for key in (comment.author_id, comment.author_hash) if key}
    authors = (
        session.scalars(
            select(AuthorSetting).where(
                AuthorSetting.site_id == comment.site_id, AuthorSetting.author_key.in_(keys)
            )
        ).all()
        if keys
        else []
    )
    thread = thread_setting(session, comment.site_id, comment.thread_id)
    premoderated: list[str] = []
    if any(author.premoderated for author in authors):
        premoderated.append(Reason.AUTHOR_PREMODERATED)
    if thread is not None and thread.premoderated:
        premoderated.append(Reason.THREAD_PREMODERATED)
    return Standing(
        banned=any(author.banned for author in authors),
        suspended=any(
            author.suspended_until is not None and author.suspended_until > comment.created_at
            for author in authors
        ),
        trusted=any(author.trusted for author in authors),
        premoderated=tuple(premoderated),
    )


def is_closed(session: Session, site_id: int, thread_id: str | None) -> bool:
    """Whether a moderator closed the thread to new comments."""
    setting = thread_setting(session, site_id, thread_id)
    return setting is not None and setting.closed
