"""The moderator's page under ``/moderate/``: server-rendered templates and one small script.

``init_app`` registers the blueprint and sets what the page needs of the app: the session cookie
(``Secure``, ``HttpOnly``, ``SameSite=Strict``, path ``/moderate``) and, on every response under
``/moderate``, a strict Content-Security-Policy (scripts and styles from this origin only, no
inline script, no framing) with ``nosniff``. Comment text is data: templates autoescape it and the
script only ever sets ``textContent``. The views live in one module per page (``queue``,
``stats``, ``policy``, ``signin``; ``workflow``: the reports, notes, authors and threads on each
card); the workers never import this package.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

# Imported for their views (the routes they add to ``bp``).
from moderation.web import access, policy, queue_page, signin, stats, workflow  # noqa: F401
from moderation.web.blueprint import PREFIX, bp, secure_headers

bp.before_request(access.check_csrf)
bp.before_request(access.check_form)
bp.context_processor(lambda: {"csrf_token": access.csrf_token, "is_admin": access.is_admin})


def init_app(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="moderation_session",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.register_blueprint(bp)
    app.after_request(secure_headers)
