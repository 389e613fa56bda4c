"""Site keys, moderator and admin tokens: creation, lookup and the checks views rely on.

A key is shown once, when it is created; the database keeps only its SHA-256. Keys carry 256 bits
of randomness, so a plain hash is enough (no slow password hash is needed) and the lookup is an
indexed equality on the hash, which leaks no timing about the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import Flask, g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from moderation.cors import enforce_origin
from moderation.exceptions import Conflict, NotFound
from moderation.storage import ApiKey, Role, Site, utcnow

KEY_PREFIX = {Role.SUBMIT: "msk_", Role.MODERATE: "mmt_", Role.ADMIN: "mat_"}
# Characters of a key kept in clear to recognize it: the role tag and 6 random characters.
PREFIX_LENGTH = 10
MIN_REVOKE_PREFIX = 6
API_PREFIX = "/v1/"
# RFC 6750: a 401 names the scheme the client should use.
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: Role, site: Site | None) -> tuple[ApiKey, str]:
    """Create a key and return it with its one-time plaintext."""
    if role is Role.SUBMIT and site is None:
        raise ValueError("a submit key belongs to one site")
    plaintext = KEY_PREFIX[role] + secrets.token_urlsafe(32)
    key = ApiKey(
        role=role.value,
        site=site,
        key_hash=hash_key(plaintext),
        prefix=plaintext[:PREFIX_LENGTH],
    )
    session.add(key)
    session.flush()
    return key, plaintext


def revoke_key(session: Session, prefix: str) -> ApiKey:
    """Revoke the one live key whose stored prefix starts ``prefix`` (a whole key works too)."""
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < MIN_REVOKE_PREFIX:
        raise Conflict(f"give at least {MIN_REVOKE_PREFIX} characters of the key")
    matches = session.scalars(
        select(ApiKey).where(ApiKey.prefix.startswith(prefix, autoescape=True))
    ).all()
    live = [key for key in matches if key.revoked_at is None]
    if not live:
        raise NotFound(f"no live key starts with {prefix!r}")
    if len(live) > 1:
        raise Conflict(f"{len(live)} keys start with {prefix!r}; give more characters")
    live[0].revoked_at = utcnow()
    return live[0]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role and the site it is bound to (None: every site)."""

    key_id: int
    role: Role
    site_id: int | None

    def can_access_site(self, site_id: int) -> bool:
        return self.site_id is None or self.site_id == site_id


def find_key(session: Session, plaintext: str) -> ApiKey | None:
    digest = hash_key(plaintext)
    # The key's site comes in the same query: the views that need it then find it in the session.
    key = session.scalar(
        select(ApiKey).options(joinedload(ApiKey.site)).where(ApiKey.key_hash == digest)
    )
    if key is None or key.revoked_at is not None:
        return None
    # The row was found by its hash; compare again in constant time as defence in depth.
    return key if hmac.compare_digest(key.key_hash, digest) else None


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
    ``authenticate``. CORS preflights carry no key and are answered before this (``cors.py``).
    """
    if request.path.startswith(API_PREFIX) and request.method != "OPTIONS":
        from moderation import db

        presented_key(db.session())


def authenticate(session: Session, *roles: Role) -> Principal:
    """The caller's principal, or abort 401 (no valid key) / 403 (not allowed).

    403 covers a key of another role and a browser request from an origin that is not registered
    for the key's site.
    """
    key = presented_key(session)
    role = Role(key.role)
    # An admin may do what a moderator may; nobody else inherits.
    allowed = set(roles) | ({Role.ADMIN} if Role.MODERATE in roles else set())
    if role not in allowed:
        abort(403, message=f"A {role.value} key cannot do this.")
    # A browser may use the key only from its site's registered origins (cors.py).
    enforce_origin(key.site_id)
    principal = Principal(key_id=key.id, role=role, site_id=key.site_id)
    g.principal = principal
    return principal


def init_app(app: Flask) -> None:
    app.before_request(require_key)
