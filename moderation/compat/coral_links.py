"""Coral's comments linked to ours, so that Coral's moderators' decisions become ours.

Coral's external phase sends a comment before Coral has created it, so the request carries no
comment id; the decision event (``COMMENT_LEFT_MODERATION_QUEUE``) later carries the id but no
text. The link is made in between, from the events Coral sends once it created the comment
(``COMMENT_CREATED``, ``COMMENT_REPLY_CREATED``, ``COMMENT_ENTERED_MODERATION_QUEUE``), which
carry its id and story: the comment is the earliest one the phase stored for that site and
story within ``LINK_WINDOW`` before the event, not linked yet, whose verdict matches Coral's
status (we answered 204 for a published one, withheld for a withheld one). Its ``client_id``
becomes ``comment:<Coral id>``, the name Coral's Perspective integration gives it too.

Two comments of one story judged alike within seconds of each other may be linked the wrong
way round; both were judged the same, so only a later decision could land on the wrong twin.

A decision event is then a moderator's decision on the linked comment (feedback for learning,
and the comment leaves our queue), unless it is a replay: an event whose ``createdAt`` is not
after the comment's last decision, or whose id was applied before, changes nothing.

Readers' flags in Coral arrive as the comment entering Coral's ``REPORTED`` queue: a reader's
report here (``moderation.reports``), so it counts toward the site's re-hold and shows in the
reported queue. Coral sends no reader nor reason, and one event per entry into that queue, not
per flag: the report is keyed by the event id (a repeated delivery counts once), reason ``other``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import reports
from moderation.compat import coral_protocol as wire
from moderation.compat.submissions import find_comment, record_feedback
from moderation.exceptions import Conflict
from moderation.privacy import keyed_hash
from moderation.storage import Comment, CommentStatus, Decision, Report, Site

# How long before Coral's event the phase may have stored the comment (Coral's phase timeout is
# at most 10 s; its webhook queue may add some more).
LINK_WINDOW = timedelta(minutes=5)
# Our statuses that match Coral's: a published comment was approved by us (204); a withheld
# one held, or not decided in time.
MATCHING = {
    "published": (CommentStatus.APPROVED,),
    "withheld": (CommentStatus.HELD, CommentStatus.PENDING),
}
SOURCE = "coral:"


def status_class(event: wire.Event) -> str | None:
    """``published`` or ``withheld``: what Coral did with the comment the event is about."""
    if event.kind != "COMMENT_ENTERED_MODERATION_QUEUE":
        return "published"  # COMMENT_CREATED / COMMENT_REPLY_CREATED: published only
    if event.status in wire.PUBLISHED:
        return "published"
    if event.status in wire.WITHHELD:
        return "withheld"
    return None


def link(session: Session, site: Site, event: wire.Event) -> Comment | None:
    """Give the phase's comment of this event its Coral id and commit; None if none matches."""
    if event.story_id is None or (kind := status_class(event)) is None:
        return None
    linked = find_comment(session, site.id, client_id=event.client_id)
    if linked is not None:
        return linked  # one comment enters several queues: the first event linked it
    comment = session.scalar(
        select(Comment)
        .where(
            Comment.site_id == site.id,
            Comment.thread_id == event.story_id[:200],
            Comment.client_id.is_(None),
            Comment.status.in_(MATCHING[kind]),
            Comment.created_at >= event.created_at - LINK_WINDOW,
            Comment.created_at <= event.created_at + LINK_WINDOW,
        )
        .order_by(Comment.created_at, Comment.id)
        .limit(1)
    )
    if comment is None:
        return None
    comment.client_id = event.client_id[:200]
    session.commit()
    return comment


def is_replay(session: Session, comment: Comment, event: wire.Event) -> bool:
    """Whether ``event`` is older than the comment's last decision or was applied before."""
    if comment.decided_at is not None and event.created_at <= comment.decided_at:
        return True
    note = note_of(event)
    seen = session.scalar(
        select(Decision.id).where(Decision.comment_id == comment.id, Decision.note == note)
    )
    return seen is not None


def note_of(event: wire.Event) -> str:
    """The decision's note: where it came from, with the event id (for the replay check)."""
    return f"{SOURCE}{event.kind}:{event.event_id}"


def decide(session: Session, site: Site, event: wire.Event) -> Comment | None:
    """Apply a Coral moderator's decision to the linked comment; None if unknown or a replay."""
    assert event.action is not None
    comment = find_comment(session, site.id, client_id=event.client_id)
    if comment is None or is_replay(session, comment, event):
        return None
    return record_feedback(
        session, site, event.action, source=note_of(event), key_id=None, comment=comment
    )


def report(session: Session, site: Site, event: wire.Event, secret_key: str) -> Report | None:
    """Record Coral's readers' flags on the linked comment as a report; None if unknown or seen.

    Commits. The report's reader is a keyed hash of the event id, so a repeated delivery is the
    same reader's second report and changes nothing.
    """
    comment = find_comment(session, site.id, client_id=event.client_id)
    if comment is None:
        return None
    reader = keyed_hash(f"{SOURCE}{event.kind}:{event.event_id}", secret_key)
    assert reader is not None  # the value is never empty
    try:
        row = reports.report(session, comment, reader, "other", "Flagged by readers in Coral.")
    except Conflict:
        return None  # its savepoint is rolled back: nothing of it is pending
    session.commit()
    return row
