"""The blueprint of the moderator's page, the security headers of its responses, and its errors."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from moderation.web.access import wants_json

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
def page_error(error: HTTPException) -> ResponseReturnValue:
    """Errors of the page as a page (or JSON for the script), never the API's JSON shape."""
    code = error.code or 500
    # flask-smorest's abort (used by the shared lookups) puts its message in ``data``.
    message = (getattr(error, "data", None) or {}).get("message") or error.description
    if wants_json():
        return jsonify({"status": code, "message": message}), code
    return render_template("error.html", error=error, code=code, message=message), code
