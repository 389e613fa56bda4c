"""Sites and their policies (admin); a site's moderators may read its policy and its changes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.http.auth import Principal, authenticate
from moderation.http.scope import visible_site
from moderation.policy import merged
from moderation.schemas.sites import (
    PolicyChangeSchema,
    PolicyOutSchema,
    PolicyPatchSchema,
    PolicySchema,
    SiteCreateSchema,
    SiteSchema,
)
from moderation.sites import change_policy, patched, policy_changes
from moderation.storage import ApiKey, PolicyChange, Role, Site, db

blp = Blueprint("sites", __name__, url_prefix="/v1/sites", description="Sites and policies")


def policy_view(site: Site) -> dict[str, Any]:
    return {"site": site.name, "policy": site.policy or {}, "effective": merged(site.policy)}


def save_policy(session: Session, principal: Principal, site: Site, policy: dict[str, Any]) -> None:
    """Validate, store and audit; 422 naming the fields when the result is not a valid policy."""
    key = session.get(ApiKey, principal.key_id)
    actor = f"key {key.prefix}" if key is not None else f"key #{principal.key_id}"
    try:
        change_policy(session, site, policy, actor, principal.key_id)
    except ma.ValidationError as error:
        session.rollback()
        abort(422, message="The policy is not valid.", errors={"json": error.messages})
    session.commit()


@blp.route("")
class Sites(MethodView):
    @blp.response(200, SiteSchema(many=True))
    def get(self) -> list[Site]:
        """The sites the caller's key covers (all of them for an admin)."""
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        query = select(Site).order_by(Site.name)
        if principal.site_id is not None:
            query = query.where(Site.id == principal.site_id)
        return list(session.scalars(query))

    @blp.arguments(SiteCreateSchema)
    @blp.response(201, SiteSchema)
    def post(self, body: dict[str, Any]) -> Site:
        """Create a site (admin); create its keys with ``moderation keys create``."""
        session = db.session()
        authenticate(session, Role.ADMIN)
        site = Site(name=body["name"], origins=body["origins"], policy=body["policy"])
        session.add(site)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            abort(409, message=f"A site named {body['name']!r} exists already.")
        return site


@blp.route("/<name>")
class SiteByName(MethodView):
    @blp.response(200, SiteSchema)
    def get(self, name: str) -> Site:
        """One site (admin, or a moderator of that site)."""
        session = db.session()
        return visible_site(session, authenticate(session, Role.MODERATE), name)


@blp.route("/<name>/policy")
class SitePolicy(MethodView):
    @blp.response(200, PolicyOutSchema)
    def get(self, name: str) -> dict[str, Any]:
        """The site's policy as set, and in effect (defaults filled in)."""
        session = db.session()
        return policy_view(visible_site(session, authenticate(session, Role.MODERATE), name))

    @blp.arguments(PolicySchema)
    @blp.response(200, PolicyOutSchema)
    def put(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        """Replace the site's policy (admin); keys left out take their defaults."""
        session = db.session()
        principal = authenticate(session, Role.ADMIN)
        site = visible_site(session, principal, name)
        save_policy(session, principal, site, body)
        return policy_view(site)

    @blp.arguments(PolicyPatchSchema)
    @blp.response(200, PolicyOutSchema)
    def patch(self, body: dict[str, Any], name: str) -> dict[str, Any]:
        """Change some keys (admin): thresholds merge per label and limit, other keys replace."""
        session = db.session()
        principal = authenticate(session, Role.ADMIN)
        site = visible_site(session, principal, name)
        save_policy(session, principal, site, patched(site.policy or {}, body))
        return policy_view(site)


@blp.route("/<name>/policy/changes")
class SitePolicyChanges(MethodView):
    @blp.response(200, PolicyChangeSchema(many=True))
    def get(self, name: str) -> list[PolicyChange]:
        """Who changed the site's policy, when, from what to what; newest first."""
        session = db.session()
        site = visible_site(session, authenticate(session, Role.MODERATE), name)
        return policy_changes(session, site)
