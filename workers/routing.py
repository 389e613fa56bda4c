"""Which language's model scores a stored comment: ``models.language.route`` with its inputs.

The inputs are the comment's own ``language`` (what the request named: ``/v1``'s ``language``,
Perspective's first ``languages`` entry, Coral's locale) and the site's declared languages
(the policy's ``languages``, the prior for short or mixed texts). The explanation job routes
again with the same inputs, so a comment is always explained by the model that scored it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from models.language import Route, route
from moderation.storage import Comment, Site, db

if TYPE_CHECKING:
    from models.scorer import Scorer


def declared_languages(policy: dict | None) -> tuple[str, ...]:
    """A site's declared languages (its policy's ``languages``), in its order."""
    value = (policy or {}).get("languages") or ()
    return tuple(code for code in value if isinstance(code, str))


def route_comment(comment_id: str, text: str, english: Scorer) -> Route:
    """The route of a stored comment (one query for its language and its site's policy)."""
    with db.transaction() as session:
        found = session.execute(
            select(Comment.language, Site.policy)
            .join(Site, Site.id == Comment.site_id)
            .where(Comment.id == comment_id)
        ).first()
    language, policy = found if found is not None else (None, None)
    return route(text, english, requested=language, declared=declared_languages(policy))
