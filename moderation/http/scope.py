"""What a caller may touch: the sites and comments its key covers (step 5 of the pipeline).

Each lookup answers 404 for what the caller's key does not cover, exactly as for what does not
exist, so a key learns nothing about other sites. The views of ``api/`` and ``web/`` both use them.
"""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.exceptions import NotFound
from moderation.http.auth import Principal
from moderation.sites import find_site
from moderation.storage import Comment, Site


def load_for(session: Session, principal: Principal, comment_id: str) -> Comment:
    """The comment, if the caller's key covers its site; 404 otherwise (no existence leak)."""
    comment = session.get(Comment, comment_id)
    if comment is None or not principal.can_access_site(comment.site_id):
        abort(404, message="No such comment.")
    return comment


def visible_site(session: Session, principal: Principal, name: str) -> Site:
    """The site, if the caller's key covers it; 404 otherwise (no existence leak)."""
    try:
        site = find_site(session, name)
    except NotFound:
        site = None
    if site is None or not principal.can_access_site(site.id):
        abort(404, message=f"No site named {name!r}.")
    return site


def site_scope(session: Session, principal: Principal, site_name: str | None) -> int | None:
    """The site id to filter on: the key's own site, or the one named (if the key may see it)."""
    if site_name is None:
        return principal.site_id
    site_id = session.scalar(select(Site.id).where(Site.name == site_name))
    if site_id is None or not principal.can_access_site(site_id):
        abort(404, message=f"No site named {site_name!r}.")
    return site_id
