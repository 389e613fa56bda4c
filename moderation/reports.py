"""Readers' reports of comments: one per reader per comment, and the re-hold after N of them.

A reader is recognised by a keyed hash (``moderation.privacy``) of the site's own reader id when
the site sends one, else of the client's address: the service can tell a second report from the
same reader without storing who reported. The comment keeps its report count and last report
time, so the reported queue sorts on the comment row alone. When an approved comment reaches the
site's ``rehold_after_reports`` (``moderation.policy``), it is held again: a ``Decision`` by
``reports`` (not the policy's verdict, so the overturn figures do not count it) with the reason
``reported``, and its ``comment.decided`` event, in the report's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import webhooks
from moderation.exceptions import Conflict
from moderation.policy import merged
from moderation.privacy import keyed_hash
from moderation.storage import (
    Actor,
    Comment,
    CommentStatus,
    Decision,
    Reason,
    Report,
    Site,
    utcnow,
)

# What a reader may say is wrong (the comment form's short list).
REPORT_REASONS = ("spam", "abuse", "harassment", "off_topic", "misinformation", "other")


def reader_hash(secret_key: str, reader_id: str | None, ip: str | None) -> str | None:
    """The reader's keyed hash: of the site's reader id, else of the address (None: neither)."""
    if reader_id:
        return keyed_hash(f"reader:{reader_id}", secret_key)
    return keyed_hash(f"ip:{ip}", secret_key) if ip else None


def report(
    session: Session, comment: Comment, reader: str, reason: str, text: str | None
) -> Report:
    """Store a reader's report, count it on the comment and re-hold it if the site says so.

    Raises ``Conflict`` if this reader already reported this comment. The caller commits.
    """
    now = utcnow()
    row = Report(
        site_id=comment.site_id,
        comment_id=comment.id,
        reader_hash=reader,
        reason=reason,
        text=text or None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        raise Conflict("This reader already reported this comment.") from error
    # Counted in SQL: two readers reporting at once both count.
    session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(report_count=Comment.report_count + 1, last_reported_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(comment, with_for_update=True)
    site = session.get_one(Site, comment.site_id)
    webhooks.record_action_event(
        session, site, webhooks.REPORTED, reported_event(comment, row), comment_id=comment.id
    )
    rehold(session, comment)
    return row


def rehold(session: Session, comment: Comment) -> Decision | None:
    """Hold an approved comment whose reports reached the site's count; the decision, if any."""
    limit = merged(session.get_one(Site, comment.site_id).policy).get("rehold_after_reports")
    if comment.status != CommentStatus.APPROVED or limit is None or comment.report_count < limit:
        return None
    decision = Decision(
        comment_id=comment.id,
        actor=Actor.REPORTS,
        action="rehold",
        from_status=comment.status,
        to_status=CommentStatus.HELD,
        reasons=[Reason.REPORTED],
        note=f"{comment.report_count} reports",
        created_at=utcnow(),
    )
    comment.status = CommentStatus.HELD
    comment.reasons = [Reason.REPORTED]
    comment.decided_by = Actor.REPORTS
    comment.decided_at = decision.created_at
    session.add(decision)
    webhooks.record_event(session, comment, decision, webhooks.DECIDED)
    return decision


def reports_on(session: Session, comment_id: str) -> Sequence[Report]:
    """A comment's reports, oldest first."""
    return session.scalars(
        select(Report).where(Report.comment_id == comment_id).order_by(Report.created_at, Report.id)
    ).all()


def reported_event(comment: Comment, row: Report) -> dict[str, object]:
    """The ``comment.reported`` event's data: no reader, only the reason and the count."""
    return {
        "comment": {
            "id": comment.id,
            "client_id": comment.client_id,
            "thread_id": comment.thread_id,
            "status": comment.status,
            "report_count": comment.report_count,
            "links": {"self": f"/v1/comments/{comment.id}"},
        },
        "report": {"reason": row.reason, "created_at": row.created_at.isoformat()},
    }
