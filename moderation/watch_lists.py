"""Watch-lists: a site's saved queues over a set of threads (stories), named by its moderators.

The review queue takes one as ``watch_list=<id>`` (``for_queue``): the comments of its threads,
with every other filter. Each change is an audited action (``ModeratorAction`` with subject
``watch_list``, its id as subject id) and a ``watch_list.updated`` event, in the caller's
transaction, like the actions of ``moderation.settings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.exceptions import Conflict, ModerationError, NotFound
from moderation.settings import audit
from moderation.storage import Site, WatchList, utcnow

MAX_NAME_LENGTH = 100
MAX_THREADS = 200
# Thread ids are stored as comments.thread_id, which holds 200 characters.
MAX_THREAD_ID_LENGTH = 200
# A site's lists, so that listing them is one bounded answer.
MAX_LISTS_PER_SITE = 200
SUBJECT = "watch_list"


class OtherSite(ModerationError):
    """A watch-list of another site than the one the queue is narrowed to (the API answers 422)."""


def lists_of(session: Session, site_id: int) -> Sequence[WatchList]:
    """A site's watch-lists, by name."""
    return session.scalars(
        select(WatchList).where(WatchList.site_id == site_id).order_by(WatchList.name, WatchList.id)
    ).all()


def find(session: Session, list_id: int, covers: Callable[[int], bool]) -> WatchList:
    """The watch-list, if its site is one ``covers`` allows; ``NotFound`` otherwise (the same
    answer as for no list at all, so a key learns nothing of other sites)."""
    row = session.get(WatchList, list_id)
    if row is None or not covers(row.site_id):
        raise NotFound("No such watch-list.")
    return row


def for_queue(
    session: Session, args: dict[str, Any], site_id: int | None, covers: Callable[[int], bool]
) -> tuple[dict[str, Any], int | None]:
    """The queue's filters and site once its ``watch_list`` (if any) narrows them: the list's
    threads, on the list's site. ``NotFound`` as ``find``; ``OtherSite`` if the queue is already
    narrowed to another site (``site_id``)."""
    if "watch_list" not in args:
        return args, site_id
    row = find(session, args["watch_list"], covers)
    if site_id is not None and row.site_id != site_id:
        raise OtherSite("The watch-list is of another site than the one named.")
    return {**args, "threads": row.thread_ids}, row.site_id


def unique_threads(thread_ids: Sequence[str]) -> list[str]:
    """The thread ids in their order, each once."""
    return list(dict.fromkeys(thread_ids))


def create(
    session: Session, site: Site, name: str, thread_ids: Sequence[str], key_id: int | None
) -> WatchList:
    """A new watch-list of ``site``, audited; ``Conflict`` if the name is taken or the site has
    ``MAX_LISTS_PER_SITE`` already."""
    count = session.scalar(select(func.count()).where(WatchList.site_id == site.id)) or 0
    if count >= MAX_LISTS_PER_SITE:
        raise Conflict(f"A site has at most {MAX_LISTS_PER_SITE} watch-lists; delete one first.")
    _check_name_free(session, site.id, name, None)
    row = WatchList(
        site_id=site.id,
        name=name,
        thread_ids=unique_threads(thread_ids),
        key_id=key_id,
        created_at=utcnow(),
    )
    session.add(row)
    _flush(session, name)
    audit(session, site, SUBJECT, str(row.id), "create", key_id, detail=_detail(row))
    return row


def update(
    session: Session,
    site: Site,
    row: WatchList,
    name: str,
    thread_ids: Sequence[str],
    key_id: int | None,
) -> WatchList:
    """Rename the list and replace its threads, audited; ``Conflict`` if the name is taken."""
    _check_name_free(session, site.id, name, row.id)
    row.name = name
    row.thread_ids = unique_threads(thread_ids)
    _flush(session, name)
    audit(session, site, SUBJECT, str(row.id), "update", key_id, detail=_detail(row))
    return row


def delete(session: Session, site: Site, row: WatchList, key_id: int | None) -> None:
    """Delete the list, audited (the action keeps its name and threads)."""
    audit(session, site, SUBJECT, str(row.id), "delete", key_id, detail=_detail(row))
    session.delete(row)
    session.flush()


def _check_name_free(session: Session, site_id: int, name: str, own_id: int | None) -> None:
    taken = session.scalar(
        select(WatchList.id).where(WatchList.site_id == site_id, WatchList.name == name)
    )
    if taken is not None and taken != own_id:
        raise Conflict(f"The site has a watch-list named {name!r} already.")


def _flush(session: Session, name: str) -> None:
    # Two moderators naming two lists alike at once: the unique constraint decides.
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(f"The site has a watch-list named {name!r} already.") from error


def _detail(row: WatchList) -> dict[str, Any]:
    return {"name": row.name, "thread_ids": list(row.thread_ids)}
