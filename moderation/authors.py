"""An author's record on a site, recognised by ``Comment.author_hash`` (a keyed hash of the e-mail).

The trusted-author rule of the policy and the review API's author view both read it. Only approvals
by a moderator count towards trust: an automatic approval means no one looked, and counting it
would let a spammer earn trust with a few bland comments. Rejections count whoever made them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.policy import Author
from moderation.storage import Actor, Comment, CommentStatus


def author_record(session: Session, site_id: int, author_hash: str | None) -> Author | None:
    """The author's approved and rejected comments on the site; None without an e-mail hash."""
    if author_hash is None:
        return None
    approved = (Comment.status == CommentStatus.APPROVED) & (Comment.decided_by == Actor.MODERATOR)
    rejected = Comment.status == CommentStatus.REJECTED
    row = session.execute(
        select(
            func.count().filter(approved),
            func.count().filter(rejected),
        ).where(Comment.site_id == site_id, Comment.author_hash == author_hash)
    ).one()
    return Author(approved=row[0], rejected=row[1])


def status_counts(
    session: Session, comments: Iterable[Comment]
) -> dict[tuple[int, str], dict[str, int]]:
    """Per (site, author hash) of the given comments: the author's comments per status."""
    pairs = {(c.site_id, c.author_hash) for c in comments if c.author_hash is not None}
    if not pairs:
        return {}
    counts: dict[tuple[int, str], dict[str, int]] = {pair: {} for pair in pairs}
    rows = session.execute(
        select(Comment.site_id, Comment.author_hash, Comment.status, func.count())
        .where(
            Comment.author_hash.in_({author for _, author in pairs}),
            Comment.site_id.in_({site for site, _ in pairs}),
        )
        .group_by(Comment.site_id, Comment.author_hash, Comment.status)
    )
    for site_id, author_hash, status, count in rows:
        if author_hash is not None and (site_id, author_hash) in counts:
            counts[(site_id, author_hash)][status] = count
    return counts


def with_author_records(session: Session, comments: Sequence[Comment]) -> Sequence[Comment]:
    """The comments, each given ``author_counts``: its author's comments per status on its site.

    One query for a whole page, so a moderator sees at a glance whether an author is new, often
    approved or often rejected (comments without an e-mail have no author to count).
    """
    counts = status_counts(session, comments)
    for comment in comments:
        if comment.author_hash is not None:
            # Not a column: the schemas and the page read it from the object.
            comment.author_counts = counts[(comment.site_id, comment.author_hash)]  # type: ignore[attr-defined]
    return comments
