"""Feedback sent with a public site key: kept as a suggestion, never applied as a decision.

Perspective's ``comments:suggestscore`` is authorised by the site's submit key, which is public
(it is in every comment form). Were it a moderator's decision, anyone could approve their own held
comment, reject others' (found by client token or text), write training labels and earn
``trusted_after`` trust. So a suggestion changes nothing: no status, no ``Decision``, no label,
no trust. It is stored against the comment it names, for a moderator to see; only the
moderator's own decision counts. Coral's moderators' decisions reach us signed, through its
webhook (``moderation.compat.coral``), not through this.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from moderation.storage import Comment, Site, Suggestion

# How many suggestions one comment keeps: a flood from one public key stores no more.
MAX_PER_COMMENT = 20


def record_suggestion(
    session: Session, site: Site, comment: Comment | None, action: str, *, source: str,
    key_id: int | None,
) -> Suggestion | None:  # fmt: skip
    """Store a suggestion about ``comment`` and commit; None (nothing stored) without one.

    A suggestion about a comment we never saw is dropped: there is nothing to suggest it for,
    and storing its text would let a public key fill the database.
    """
    if comment is None or comment.site_id != site.id:
        return None
    existing = session.query(Suggestion).filter(Suggestion.comment_id == comment.id).count()
    if existing >= MAX_PER_COMMENT:
        return None
    suggestion = Suggestion(
        site_id=site.id, comment_id=comment.id, key_id=key_id, source=source, action=action
    )
    session.add(suggestion)
    session.commit()
    return suggestion
