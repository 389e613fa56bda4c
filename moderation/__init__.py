"""Self-hosted comment moderation: the Flask app factory.

The web process never imports scikit-learn or the workers: it validates, stores, enqueues comment
ids by dotted path and serves the review API. This module imports nothing at import time, so a
worker that imports ``moderation.storage`` does not load Flask or the web stack with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then ``config`` on top (tests pass theirs)."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from moderation import cli, compat, http, logs, metrics, webhooks
    from moderation import config as settings
    from moderation.api import BLUEPRINTS, health
    from moderation.extensions import api, db, limiter
    from moderation.http.marks import OWN_PROTOCOL, UNLIMITED, mark
    from moderation.queue import API_TIMEOUT_SECONDS, connect

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
    # Unless the process's logging is set up already (the CLI, pytest, an embedding app).
    logs.configure(app.config["LOG_FORMAT"], force=False)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        # Flask's documented way to put middleware in front; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    app.extensions["redis"] = (
        connect(app.config["REDIS_URL"], API_TIMEOUT_SECONDS) if app.config["REDIS_URL"] else None
    )
    # Webhook deliveries recorded in a request are enqueued on the app's Redis after the commit.
    webhooks.install(app_connection)
    api.init_app(app)
    http.init_app(app, limiter)
    # After the pipeline, so that the request id comes first of all and even a 401 carries it.
    logs.init_app(app)
    metrics.init_app(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    mark(app, health.blp, UNLIMITED)
    # The foreign protocols answer in their own shapes: plain Flask blueprints, not in openapi.json.
    for blueprint in compat.blueprints():
        app.register_blueprint(blueprint)
        mark(app, blueprint, OWN_PROTOCOL)
    from moderation import web  # the moderator's page, /moderate/

    web.init_app(app)
    cli.init_app(app)
    return app


def app_connection() -> Any:
    """The Redis connection of the Flask app at hand, if any (for ``webhooks.install``)."""
    from flask import current_app, has_app_context

    return current_app.extensions.get("redis") if has_app_context() else None
