"""CORS: browsers may call the API only from the origins registered for the key's site.

Comment forms post straight from readers' browsers with the site's key. The rules:

- Preflight (``OPTIONS`` with ``Access-Control-Request-Method``) carries no ``Authorization``
  header, so it cannot tell which site is asking. It is answered for any origin registered for
  *some* site (``moderation sites create NAME --origin URL``), allowing the API's methods and
  headers; an unregistered origin gets 403 and the browser sends nothing more.
- The actual request is checked once its key is known (``enforce_origin``, called by
  ``http.auth.authenticate``): a site key works only from its own site's origins, a key bound to no
  site (admin, moderator of all sites) from any registered origin. Anything else is 403 before
  the view runs, so a stranger's page that copies a site's public key stores nothing.
- Responses echo the one allowed origin (never ``*``) with ``Vary: Origin``. Keys travel in the
  ``Authorization`` header, not in cookies, so ``Access-Control-Allow-Credentials`` is never sent.
- Requests without ``Origin`` (site backends, curl) are not browsers and are not checked here;
  the key is their credential. POST bodies must be ``application/json`` (``http/inputs.py``),
  which is not a CORS "simple" content type, so a browser cannot skip the preflight.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from moderation.storage import Site, db

PATH_PREFIX = "/v1/"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSE_HEADERS = "Location, Retry-After"
# Seconds a browser may cache a preflight answer.
MAX_AGE_SECONDS = 600


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None for what is not a web origin."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{suffix}"


def site_origins(site_id: int | None) -> set[str]:
    """The origins registered for one site, or for every site when ``site_id`` is None."""
    query = select(Site.origins)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    origins: set[str | None] = set()
    for registered in db.session().scalars(query):
        origins.update(normalize_origin(origin) for origin in registered or [])
    origins.discard(None)
    return origins  # type: ignore[return-value]  # None discarded above


def request_origin() -> str | None:
    """The normalized ``Origin`` of a browser request to the API, or None."""
    if not request.path.startswith(PATH_PREFIX):
        return None
    origin = request.headers.get("Origin")
    return normalize_origin(origin) if origin else None


def enforce_origin(site_id: int | None) -> None:
    """403 unless a browser request comes from an origin of the key's site (None: any site)."""
    if "Origin" not in request.headers or not request.path.startswith(PATH_PREFIX):
        return
    origin = request_origin()
    if origin is None or origin not in site_origins(site_id):
        abort(403, message="This origin is not registered for the key's site.")
    g.cors_origin = request.headers["Origin"]


def answer_preflight() -> Response | None:
    """Answer a CORS preflight before any other check (it carries no key)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    origin = request_origin()
    if origin is None or origin not in site_origins(None):
        if request.path.startswith(PATH_PREFIX):
            abort(403, message="This origin is not registered for any site.")
        return None
    g.cors_origin = request.headers["Origin"]
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
    return response


def add_headers(response: Response) -> Response:
    """Let the browser read the answer when the origin passed; errors before the key check too.

    An error raised before ``enforce_origin`` ran (401, 413, 415, 422, 429) holds no data, so it
    is readable from any registered origin: the comment form can show why it failed.
    """
    if not request.path.startswith(PATH_PREFIX) or "Origin" not in request.headers:
        return response
    response.vary.add("Origin")
    origin = g.get("cors_origin")
    if origin is None and response.status_code >= 400:
        try:
            if request_origin() in site_origins(None):
                origin = request.headers["Origin"]
        except SQLAlchemyError:  # the error may be the database itself (503)
            origin = None
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


def init_app(app: Flask) -> None:
    app.before_request(answer_preflight)
    app.after_request(add_headers)
