"""Self-hosted comment moderation: the Flask app factory.

The web process never imports scikit-learn or the workers: it validates, stores, enqueues comment
ids by dotted path and serves the review API.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation import auth, cors, inputs, limits
from moderation import config as settings
from moderation.errors import Api
from moderation.queue import connect
from moderation.storage import Database

db = Database()
openapi = Api()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then ``config`` on top (tests pass theirs)."""
    app = Flask(__name__)
    app.config.update(settings.load(config))
    app.config.update(
        API_TITLE="Comment moderation",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=app.config["MAX_BODY_BYTES"],
        JSON_SORT_KEYS=False,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    app.extensions["redis"] = connect(app.config["REDIS_URL"]) if app.config["REDIS_URL"] else None
    openapi.init_app(app)
    # Checks before any view, in this order: rate limits, CORS preflight, a valid key (401), then
    # body and text limits; the views check roles and objects.
    limits.init_app(app)
    cors.init_app(app)
    auth.init_app(app)
    inputs.init_app(app)

    from moderation.api import comments, feedback, health, review, sites, stats, webhooks

    for resource in (comments, review, health, feedback, sites, webhooks, stats):
        openapi.register_blueprint(resource.blp)

    from moderation import cli

    cli.init_app(app)
    return app
