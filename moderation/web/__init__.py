"""The moderator's page under ``/moderate/``: server-rendered templates and one small script.

``init_app`` registers the blueprint and sets what the page needs of the app: the session cookie
(``Secure``, ``HttpOnly``, ``SameSite=Strict``, path ``/moderate``) and, on every response under
``/moderate``, a strict Content-Security-Policy (scripts and styles from this origin only, no
inline script, no framing) with ``nosniff``. Comment text is data: templates autoescape it and the
script only ever sets ``textContent``. The views live in one module per page (``queue``,
``stats``, ``policy``, ``signin``); the workers never import this package.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

PREFIX = "/moderate"
bp = Blueprint(
    "moderate",
    __name__,
    url_prefix=PREFIX,
    template_folder="templates",
    static_folder="static",
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secure_headers(response: Response) -> Response:
    """Every response under /moderate (pages, errors, static files) carries the headers."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith(PREFIX + "/static/"):
            # Queues and policies are not for shared caches or the back button of a shared PC.
            response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def page_error(error: HTTPException) -> tuple[object, int]:
    """Errors of the page as a page (or JSON for the script), never the API's JSON shape."""
    from moderation.web.access import wants_json

    code = error.code or 500
    # flask-smorest's abort (used by the shared lookups) puts its message in ``data``.
    message = (getattr(error, "data", None) or {}).get("message") or error.description
    if wants_json():
        return jsonify({"status": code, "message": message}), code
    return render_template("error.html", error=error, code=code, message=message), code


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


# The views, one module per page; imported here so that the blueprint is complete when imported.
from moderation.web import access, policy, queue, signin, stats  # noqa: E402, F401

bp.before_request(access.check_csrf)
bp.before_request(access.check_form)
bp.context_processor(lambda: {"csrf_token": access.csrf_token})
