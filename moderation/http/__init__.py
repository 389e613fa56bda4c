"""The request pipeline, in the order it runs for every request.

1. ``limits``: rate limits per client IP and per key (429);
2. ``cors``: a CORS preflight is answered here, before any key is asked for;
3. ``auth``: every ``/v1/`` request needs a valid key (401), before its body is read;
4. ``inputs``: headers, body size and type, JSON, text and query parameters (400, 413, 415, 422);
5. the view: the roles it allows (``auth.authenticate``: 403) and the objects it touches (404);
6. ``errors``: every failure in one JSON shape; ``openapi`` documents all of the above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response
    from flask_limiter import Limiter


def init_app(app: Flask, limiter: Limiter) -> None:
    """Install the checks on ``app`` in the order above (before its blueprints are registered)."""
    from moderation.http import auth, cors, inputs, limits

    limits.init_app(app, limiter)
    cors.init_app(app)
    auth.init_app(app)
    inputs.init_app(app)
    app.after_request(no_sniffing)


def no_sniffing(response: Response) -> Response:
    """``X-Content-Type-Options: nosniff`` on every answer: a browser never runs JSON as HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
