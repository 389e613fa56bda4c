"""Watch-lists of a site (moderators): saved queues over a set of threads."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy.orm import Session

from moderation import watch_lists
from moderation.exceptions import Conflict, NotFound
from moderation.http.auth import Principal, authenticate
from moderation.http.scope import visible_site
from moderation.schemas.watch_lists import WatchListSchema, WatchListsSchema, WatchListSubmitSchema
from moderation.storage import Role, Site, WatchList, db

blp = Blueprint(
    "watch_lists", __name__, url_prefix="/v1", description="Watch-lists: saved queues of threads"
)


def view(row: WatchList, site: Site) -> dict[str, Any]:
    """A watch-list as ``WatchListSchema`` dumps it."""
    return {
        "id": row.id,
        "site": site.name,
        "name": row.name,
        "thread_ids": list(row.thread_ids),
        "key_id": row.key_id,
        "created_at": row.created_at,
        "links": {"queue": f"/v1/review/queue?watch_list={row.id}"},
    }


def load(session: Session, principal: Principal, site: str, list_id: int) -> tuple[Site, WatchList]:
    """The site and its watch-list; 404 for a list of another site, as for none."""
    found = visible_site(session, principal, site)
    try:
        row = watch_lists.find(session, list_id, lambda site_id: site_id == found.id)
    except NotFound as error:
        abort(404, message=str(error))
    return found, row


@blp.route("/sites/<site>/watch-lists")
class WatchLists(MethodView):
    @blp.response(200, WatchListsSchema)
    def get(self, site: str) -> dict[str, Any]:
        """The site's watch-lists, by name."""
        session = db.session()
        found = visible_site(session, authenticate(session, Role.MODERATE), site)
        return {"items": [view(row, found) for row in watch_lists.lists_of(session, found.id)]}

    @blp.arguments(WatchListSubmitSchema)
    @blp.response(201, WatchListSchema)
    @blp.alt_response(
        409, response="CONFLICT", description="The name is taken, or the site has the most lists."
    )
    def post(self, body: dict[str, Any], site: str) -> dict[str, Any]:
        """Make a watch-list: a name and up to 200 thread ids (audited: ``create``)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found = visible_site(session, principal, site)
        try:
            row = watch_lists.create(
                session, found, body["name"], body["thread_ids"], principal.key_id
            )
        except Conflict as error:
            session.rollback()
            abort(409, message=str(error))
        session.commit()
        return view(row, found)


@blp.route("/sites/<site>/watch-lists/<int:list_id>")
class WatchListById(MethodView):
    @blp.response(200, WatchListSchema)
    def get(self, site: str, list_id: int) -> dict[str, Any]:
        """One watch-list of the site."""
        session = db.session()
        found, row = load(session, authenticate(session, Role.MODERATE), site, list_id)
        return view(row, found)

    @blp.arguments(WatchListSubmitSchema)
    @blp.response(200, WatchListSchema)
    @blp.alt_response(409, response="CONFLICT", description="Another list has the name.")
    def put(self, body: dict[str, Any], site: str, list_id: int) -> dict[str, Any]:
        """Rename a watch-list and replace its threads (audited: ``update``)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found, row = load(session, principal, site, list_id)
        try:
            watch_lists.update(
                session, found, row, body["name"], body["thread_ids"], principal.key_id
            )
        except Conflict as error:
            session.rollback()
            abort(409, message=str(error))
        session.commit()
        return view(row, found)

    @blp.response(204)
    def delete(self, site: str, list_id: int) -> None:
        """Delete a watch-list (audited: ``delete``, with its name and threads)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        found, row = load(session, principal, site, list_id)
        watch_lists.delete(session, found, row, principal.key_id)
        session.commit()
