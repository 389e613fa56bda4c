"""An author's record on a site, recognised by ``Comment.author_hash`` (a keyed hash of the e-mail).

The trusted-author rule of the policy and the review API's author view both read it. Only approvals
by a moderator count towards trust: an automatic approval means no one looked, and counting it
would let a spammer earn trust with a few bland comments. Rejections count whoever made them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.policy import Author
from moderation.storage import Actor, Comment, CommentStatus


def author_record(session: Session, site_id: int, author_hash: str | None) -> Author | None:
    """The author's approved and rejected comments on the site; None without an e-mail hash."""
    if author_hash is None:
        return None
    approved = (Comment.status == CommentStatus.APPROVED.value) & (
        Comment.decided_by == Actor.MODERATOR.value
    )
    rejected = Comment.status == CommentStatus.REJECTED.value
    row = session.execute(
        select(
            func.count().filter(approved),
            func.count().filter(rejected),
        ).where(Comment.site_id == site_id, Comment.author_hash == author_hash)
    ).one()
    return Author(approved=row[0], rejected=row[1])
