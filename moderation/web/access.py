"""Who is signed in to the moderator's page, and the CSRF token of every form and script post.

Signing in takes a moderator or admin token, checked as the API checks a bearer key. The session
lives on the server (``storage.WebSession``): the cookie (Flask's, signed with ``SECRET_KEY``;
``Secure``, ``HttpOnly``, ``SameSite=Strict``, path ``/moderate``) carries a random session
token, never the API token, and the database only the session token's SHA-256. Every request
looks the session and its key up again, so signing out, revoking the token and an admin's "sign
out everywhere" each end a session at once, copies of its cookie included. The page sees exactly
what the token's key covers, through the API's own rule (``http.auth.principal_of`` and
``permits``): one authorization rule for the page and the API.

Every POST carries the session's CSRF token, in the form field ``csrf_token`` or the header
``X-CSRF-Token`` (the page's script), and must come from this origin when the browser says where
it comes from; otherwise it is refused with 400 and changes nothing.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import delete

from moderation.http.auth import Principal, permits, principal_of
from moderation.http.inputs import text_problem
from moderation.keys import find_key, hash_key
from moderation.storage import ApiKey, Role, WebSession, db, utcnow

View = TypeVar("View", bound=Callable[..., Any])

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# The cookie's field with the session token (the server keeps its SHA-256).
SESSION_FIELD = "sid"
# A session lasts a working day; the cookie itself carries the same limit.
SESSION_SECONDS = 12 * 3600
ROLES = (Role.MODERATE, Role.ADMIN)


def csrf_token() -> str:
    """The session's CSRF token (created with the session, before sign-in too)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(session[CSRF_FIELD])


def same_origin() -> bool:
    """False when the browser names another origin (Origin, or else Referer) for the request."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return source != "null"
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def check_csrf() -> None:
    """``before_request`` of the page: refuse a POST without this session's token (400)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD)
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="The form has expired or did not come from this page; reload it.")
    if not same_origin():
        abort(400, description="The request did not come from this page.")


def check_form() -> None:
    """``before_request`` of the page: a form field that no column can store (NUL) is a 422.

    The API's input checks cover JSON bodies; the page's HTML forms are checked here.
    """
    bad = [name for name, values in request.form.lists() if any(text_problem(v) for v in values)]
    if bad:
        abort(422, description=f"These fields hold characters that are not text: {', '.join(bad)}.")


def sign_in(token: str) -> ApiKey | None:
    """Start a session for a live moderator or admin token; None (and no session) otherwise."""
    store = db.session()
    key = find_key(store, token.strip())
    if key is None or key.role not in ROLES:
        return None
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    # Sessions that lapsed a day ago are of no use even to the audit: the table stays small.
    store.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    store.add(
        WebSession(
            id=hash_key(secret),
            key_id=key.id,
            created_at=now,
            expires_at=now + timedelta(seconds=SESSION_SECONDS),
        )
    )
    store.commit()
    session.clear()
    session.permanent = True
    session[SESSION_FIELD] = secret
    csrf_token()  # a new token with the new session: one known before sign-in is useless after
    return key


def live_session() -> WebSession | None:
    """The server's record of this cookie's session, if it has not ended or expired."""
    secret = session.get(SESSION_FIELD)
    if not isinstance(secret, str):
        return None
    found = db.session().get(WebSession, hash_key(secret))
    if found is None or found.ended_at is not None or found.expires_at <= utcnow():
        return None
    return found


def sign_out() -> None:
    """End this session on the server (a copy of the cookie is worthless after) and forget it."""
    found = live_session()
    if found is not None:
        found.ended_at = utcnow()
        db.session().commit()
    session.clear()


def current_key() -> ApiKey | None:
    """The live key of this session, if it is signed in, not ended or expired, and not revoked."""
    if "web_key" in g:
        return g.web_key
    key = None
    found = live_session()
    if found is not None:
        key = found.key
        if key.revoked_at is not None or key.role not in ROLES:
            key = None
    g.web_key = key
    return key


def principal() -> Principal:
    """The signed-in moderator as the API sees the key (call only in ``signed_in`` views)."""
    key = current_key()
    assert key is not None
    return principal_of(key)


def is_admin() -> bool:
    """Whether this session may do the API's admin operations (the templates' test)."""
    key = current_key()
    return key is not None and permits(principal_of(key), [Role.ADMIN])


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def signed_in(view: View) -> View:
    """The view needs a session: a page redirects to sign-in, a script call gets 401."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_key() is None:
            if wants_json() or request.method != "GET":
                abort(401, description="Sign in again: the session has ended.")
            return redirect(url_for("moderate.sign_in_page", next=request.full_path))
        return view(*args, **kwargs)

    # functools.wraps made it the view; mypy sees only the wrapper's own signature.
    return wrapper  # type: ignore[return-value]


def admin_only(view: View) -> View:
    """The view needs what the API's admin operations need (``permits``; 403 otherwise): a
    moderator's session, and a legacy site-bound admin key's, are refused as the API refuses."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not permits(principal(), [Role.ADMIN]):
            abort(403, description="Only an admin token may do this.")
        return view(*args, **kwargs)

    return signed_in(wrapper)  # type: ignore[return-value]  # as in signed_in


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of this page only (no open redirect)."""
    if target and target.startswith("/moderate/") and not target.startswith("//"):
        return target
    return url_for("moderate.queue")
