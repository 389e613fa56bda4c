"""Site keys, moderator and admin tokens: creation, revocation and lookup by hash.

A key is shown once, when it is created; the database keeps only its SHA-256. Keys carry 256 bits
of randomness, so a plain hash is enough (no slow password hash is needed) and the lookup is an
indexed equality on the hash, which leaks no timing about the secret itself. The request side
(the bearer header, 401 and 403) is ``moderation.http.auth``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from moderation.exceptions import Conflict, NotFound
from moderation.storage import Actor, ApiKey, Role, Site, WebSession, utcnow

KEY_PREFIX = {Role.SUBMIT: "msk_", Role.MODERATE: "mmt_", Role.ADMIN: "mat_"}
# Characters of a key kept in clear to recognize it: the role tag and 6 random characters.
PREFIX_LENGTH = 10
MIN_REVOKE_PREFIX = 6
# A moderator's name: the column's size (api_keys.name).
MAX_NAME_LENGTH = 100
# Who did something whose key row is gone (its key_id was set to NULL with it).
DELETED_KEY = "a deleted key"


class ByKey(Protocol):
    """A row that records the key that made it: a decision, a note, an action."""

    @property
    def key_id(self) -> int | None: ...


R = TypeVar("R", bound=ByKey)


def checked_name(name: str | None) -> str | None:
    """A moderator's name trimmed, or None for none; ValueError if it is not 1-100 printable
    characters (a control character would forge lines in ``keys list`` and in the pages)."""
    if name is None:
        return None
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a name has 1 to {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise ValueError("a name has printable characters only")
    return name


def display_name(key: ApiKey | None) -> str:
    """Who a key is, for people: the moderator's name, else "key <prefix>" (a revoked key too);
    ``DELETED_KEY`` when its row is gone. The one definition: every view of who did what uses it.
    """
    if key is None:
        return DELETED_KEY
    return key.name or f"key {key.prefix}"


def moderator_of(session: Session, key_id: int | None, actor: str = Actor.MODERATOR) -> str | None:
    """The display name of the key behind a decision, note or action; None when no person made
    it (a decision's ``actor`` is the policy or readers' reports)."""
    if actor != Actor.MODERATOR:
        return None
    return display_name(session.get(ApiKey, key_id) if key_id is not None else None)


def with_moderators(session: Session, rows: Sequence[R]) -> Sequence[R]:
    """The rows, each given ``moderator`` (``moderator_of``); their keys read in one query."""
    wanted = {row.key_id for row in rows if row.key_id is not None}
    if wanted:
        # Into the session's identity map: moderator_of's session.get then finds them there.
        session.scalars(select(ApiKey).where(ApiKey.id.in_(wanted))).all()
    for row in rows:
        actor = getattr(row, "actor", Actor.MODERATOR)
        # Not a column: the schemas and the pages read it from the object.
        row.moderator = moderator_of(session, row.key_id, actor)  # type: ignore[attr-defined]
    return rows


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    session: Session, role: Role, site: Site | None, name: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its one-time plaintext.

    ``name`` is the moderator's, shown with what the key does (``checked_name``: ValueError).
    """
    name = checked_name(name)
    if role in (Role.SUBMIT, Role.AKISMET) and site is None:
        raise ValueError(f"a {role} key belongs to one site")
    if role is Role.ADMIN and site is not None:
        # An admin creates sites and sees every name (a 409 tells one exists): there is no such
        # thing as one site's admin. A site's moderator key is the narrower one.
        raise ValueError("an admin key covers every site; give a moderate key for one site")
    if role is Role.AKISMET:
        # Akismet's clients need exactly 12 characters (moderation.compat.akismet_protocol).
        from moderation.compat.akismet_protocol import key_tag, new_key

        plaintext = new_key()
        prefix = key_tag(plaintext)
    else:
        plaintext = KEY_PREFIX[role] + secrets.token_urlsafe(32)
        prefix = plaintext[:PREFIX_LENGTH]
    key = ApiKey(role=role, site=site, key_hash=hash_key(plaintext), prefix=prefix, name=name)
    session.add(key)
    session.flush()
    return key, plaintext


def live_key(session: Session, prefix: str) -> ApiKey:
    """The one live key whose stored prefix starts ``prefix`` (a whole key works too).

    NotFound without one; Conflict for a prefix too short or shared by several live keys.
    """
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
    return live[0]


def revoke_key(session: Session, prefix: str) -> ApiKey:
    """Revoke the one live key whose stored prefix starts ``prefix`` (``live_key``)."""
    key = live_key(session, prefix)
    key.revoked_at = utcnow()
    # Its page sessions end with it (they would fail the key check anyway; this records it).
    end_sessions(session, key.id)
    return key


def name_key(session: Session, prefix: str, name: str | None) -> ApiKey:
    """Name (or, with None, unname) the live key ``live_key`` finds; ValueError for a bad name.

    Its past decisions, notes and actions show the new name: they keep the key, not the name.
    """
    name = checked_name(name)
    key = live_key(session, prefix)
    key.name = name
    return key


def end_sessions(session: Session, key_id: int | None = None) -> int:
    """End every live session of the moderator's page (of one key, or of all); how many.

    The caller commits. A session's cookie, copies included, is refused from then on.
    """
    query = update(WebSession).where(WebSession.ended_at.is_(None))
    if key_id is not None:
        query = query.where(WebSession.key_id == key_id)
    ended = session.execute(query.values(ended_at=utcnow()))
    return int(getattr(ended, "rowcount", 0) or 0)


def find_key(session: Session, plaintext: str) -> ApiKey | None:
    """The live key with this plaintext, with its site; None if unknown or revoked."""
    digest = hash_key(plaintext)
    # The key's site comes in the same query: the views that need it then find it in the session.
    key = session.scalar(
        select(ApiKey).options(joinedload(ApiKey.site)).where(ApiKey.key_hash == digest)
    )
    if key is None or key.revoked_at is not None:
        return None
    # The row was found by its hash; compare again in constant time as defence in depth.
    return key if hmac.compare_digest(key.key_hash, digest) else None
