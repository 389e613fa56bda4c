"""Authentication of API requests: the bearer key every ``/v1/`` request needs, and roles.

``require_key`` runs before every view (after CORS preflights, before the body is read): no
valid key, 401. The views call ``authenticate`` with the roles they allow: another role, or a
browser origin not registered for the key's site, 403. Keys themselves are ``moderation.keys``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, g, request
from flask_smorest import abort
from sqlalchemy.orm import Session

from moderation.http.cors import enforce_origin
from moderation.http.marks import OWN_PROTOCOL, is_marked
from moderation.keys import find_key
from moderation.storage import ApiKey, Role, db

API_PREFIX = "/v1/"
# RFC 6750: a 401 names the scheme the client should use.
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and the site it is bound to (None: every site)."""

    key_id: int
    role: Role
    site_id: int | None

    def can_access_site(self, site_id: int) -> bool:
        return self.site_id is None or self.site_id == site_id


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def presented_key(session: Session) -> ApiKey:
    """The live key the request presents, or abort 401 (none, malformed, unknown or revoked)."""
    cached = g.get("api_key")
    if cached is not None:
        return cached
    token = bearer_token()
    if token is None:
        abort(401, message="Send a key as 'Authorization: Bearer <key>'.", headers=CHALLENGE)
    key = find_key(session, token)
    if key is None:
        abort(401, message="The key is unknown or revoked.", headers=CHALLENGE)
    g.api_key = key
    return key


def require_key() -> None:
    """``before_request``: every ``/v1/`` request needs a valid key, checked before its body.

    So a caller without one gets 401 for every path, method and body (it learns nothing about
    routes or schemas and costs no parsing); which role may do what is the view's
    ``authenticate``. CORS preflights carry no key and are answered before this (``http/cors.py``).
    """
    if (
        request.path.startswith(API_PREFIX)
        and request.method != "OPTIONS"
        and not is_marked(OWN_PROTOCOL)  # Coral's: signed, not keyed
    ):
        presented_key(db.session())


def principal_of(key: ApiKey) -> Principal:
    """What a key may act as: the one rule the API and the moderator's page both apply.

    Site-bound admin keys cannot be created any more (keys.create_key); one made before acts as
    its site's moderator, never across sites and never on a policy.
    """
    role = Role(key.role)
    if role is Role.ADMIN and key.site_id is not None:
        role = Role.MODERATE
    return Principal(key_id=key.id, role=role, site_id=key.site_id)


def permits(principal: Principal, roles: Iterable[Role]) -> bool:
    """Whether ``principal`` may do what ``roles`` may: an admin may do what a moderator may,
    nobody else inherits."""
    allowed = set(roles)
    if Role.MODERATE in allowed:
        allowed.add(Role.ADMIN)
    return principal.role in allowed


def authenticate(session: Session, *roles: Role) -> Principal:
    """The caller's principal, or abort 401 (no valid key) / 403 (not allowed).

    403 covers a key of another role and a browser request from an origin that is not registered
    for the key's site.
    """
    key = presented_key(session)
    principal = principal_of(key)
    if not permits(principal, roles):
        abort(403, message=f"A {principal.role} key cannot do this.")
    # A browser may use the key only from its site's registered origins (cors.py).
    enforce_origin(key.site_id)
    g.principal = principal
    return principal


def init_app(app: Flask) -> None:
    app.before_request(require_key)
