"""The review queue as the domain sees it: its filters, sorts, keyset cursors, pages and counts.

``GET /v1/review/queue`` (``api/review.py``), the author record and the moderator's page
(``web/queue_page.py``) list and count through here, so the page and the API always show the same
comments; ``moderation.stats`` scopes its figures with ``filtered``. Text search (``q``) is
``moderation.search``; a watch-list is named to the queue by its threads (``threads``, from
``moderation.watch_lists.for_queue``).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from moderation import search
from moderation.authors import with_author_records
from moderation.exceptions import ModerationError
from moderation.storage import Comment, Score

# Sorts by a label's score: highest first, lowest first.
SCORE_SORTS = ("score", "score_asc")


class InvalidCursor(ModerationError):
    """A page cursor that is not one of this sort's (the front doors answer 422)."""


# The reported queue's sort: most reports first, then the most recently reported.
REPORTS_SORT = "reports"


def by_author(author: str) -> ColumnElement[bool]:
    """An author's comments: by the site's own author id or by the e-mail hash."""
    return or_(Comment.author_hash == author, Comment.author_id == author)


def filtered(query: Select, args: dict[str, Any], site_id: int | None) -> Select:
    """Apply every filter of the review queue except status and the cursor.

    ``q``: words the text must all have (``search.InvalidSearch`` if it has none); ``threads``:
    a list of thread ids (a watch-list's), any of which.
    """
    if site_id is not None:
        query = query.where(Comment.site_id == site_id)
    if args.get("queue") == "reported":
        query = query.where(Comment.report_count > 0)
    if "thread" in args:
        query = query.where(Comment.thread_id == args["thread"])
    if "threads" in args:
        query = query.where(Comment.thread_id.in_(args["threads"]))
    if "q" in args:
        query = query.where(search.matching(args["q"]))
    if "author" in args:
        query = query.where(by_author(args["author"]))
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


def status_counts(session: Session, args: dict[str, Any], site_id: int | None) -> dict[str, int]:
    """The number of comments per status under the filters of ``args`` (status aside)."""
    query = filtered(select(Comment.status, func.count()).group_by(Comment.status), args, site_id)
    return {status: count for status, count in session.execute(query).all()}


def sort_key(args: dict[str, Any]) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], bool]:
    """The value the queue is ordered by, and whether the order is descending.

    Score sorts use the comment's current score for the label; ties, like equal times, are broken
    by the comment id, so a cursor (value, id) marks one exact place in the order.
    """
    if args["sort"] in SCORE_SORTS:
        return Comment.scores[args["label"]].as_float(), args["sort"] == "score"
    return Comment.created_at, args["sort"] == "newest"


def encode_cursor(comment: Comment, args: dict[str, Any]) -> str:
    if args["sort"] in SCORE_SORTS:
        value: Any = (comment.scores or {}).get(args["label"])
    elif args["sort"] == REPORTS_SORT:
        last = comment.last_reported_at
        value = [comment.report_count, last.isoformat() if last is not None else None]
    else:
        value = comment.created_at.isoformat()
    raw = json.dumps([args["sort"], value, comment.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str, args: dict[str, Any]) -> tuple[Any, str]:
    """The (sort value, comment id) a cursor marks; ``InvalidCursor`` if it is not this sort's."""
    try:
        sort, value, comment_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if sort != args["sort"]:
            raise ValueError("a cursor of another sort")
        if sort in SCORE_SORTS:
            return float(value), str(comment_id)
        if sort == REPORTS_SORT:
            count, last = value
            return (int(count), aware(datetime.fromisoformat(last))), str(comment_id)
        return aware(datetime.fromisoformat(value)), str(comment_id)
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidCursor("The cursor is not valid.") from error


def aware(moment: datetime) -> datetime:
    """The time a cursor holds, which must carry its timezone."""
    if moment.tzinfo is None:
        raise ValueError("a time without a timezone")
    return moment


def after_cursor(query: Select, cursor: str, args: dict[str, Any]) -> Select:
    value, comment_id = decode_cursor(cursor, args)
    if args["sort"] == REPORTS_SORT:
        count, last = value
        return query.where(
            or_(
                Comment.report_count < count,
                and_(Comment.report_count == count, Comment.last_reported_at < last),
                and_(
                    Comment.report_count == count,
                    Comment.last_reported_at == last,
                    Comment.id < comment_id,
                ),
            )
        )
    key, descending = sort_key(args)
    if descending:
        return query.where(or_(key < value, and_(key == value, Comment.id < comment_id)))
    return query.where(or_(key > value, and_(key == value, Comment.id > comment_id)))


def queue_page(
    session: Session, args: dict[str, Any], site_id: int | None
) -> tuple[list[Comment], str | None]:
    """One keyset page of the queue (each comment with its author's record) and the cursor of
    the next page (None on the last)."""
    query = filtered(select(Comment), args, site_id)
    # The reported queue lists every status unless one is named.
    if args.get("status") is not None:
        query = query.where(Comment.status == args["status"])
    if "cursor" in args:
        query = after_cursor(query, args["cursor"], args)
    order: tuple[Any, ...]
    if args["sort"] == REPORTS_SORT:
        order = (
            Comment.report_count.desc(),
            Comment.last_reported_at.desc(),
            Comment.id.desc(),
        )
    else:
        key, descending = sort_key(args)
        if args["sort"] in SCORE_SORTS:
            query = query.where(key.is_not(None))
        order = (key.desc(), Comment.id.desc()) if descending else (key.asc(), Comment.id.asc())
    rows = session.scalars(query.order_by(*order).limit(args["limit"] + 1)).all()
    items = list(with_author_records(session, rows[: args["limit"]]))
    more = len(rows) > args["limit"]
    return items, encode_cursor(items[-1], args) if more else None
