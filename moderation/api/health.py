"""Liveness, readiness and Prometheus metrics; no key needed (expose them to your network only)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from moderation import metrics
from moderation.queue import WORKER_QUEUES
from moderation.storage import db

blp = Blueprint("health", __name__, description="Health and metrics")


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}


def check_database() -> str:
    try:
        db.session().execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as error:
        return f"error: {type(error).__name__}"


def check_redis() -> str:
    redis = current_app.extensions["redis"]
    if redis is None:
        return "error: REDIS_URL is not set"
    try:
        redis.ping()
        return "ok"
    except RedisError as error:
        return f"error: {type(error).__name__}"


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """The database answers (503 if not); Redis is reported but not required.

        Submissions are accepted without Redis (the sweeper enqueues them later), so a Redis
        outage must not take the API out of a load balancer.
        """
        checks = {"database": check_database(), "redis": check_redis()}
        if checks["database"] != "ok":
            abort(503, message="The database is unavailable.", errors=checks)
        return {"status": "ok", "checks": checks}


def require_metrics_token() -> None:
    """401 unless the request carries the configured metrics token (when there is one)."""
    token = current_app.config["METRICS_TOKEN"]
    # The scheme is case-insensitive (RFC 9110 11.1): Prometheus and curl users write "bearer".
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if token and (
        scheme.lower() != "bearer"
        or not hmac.compare_digest(presented.strip().encode(), token.encode())
    ):
        abort(
            401,
            message="GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "Prometheus text format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self) -> Response:
        """The service's counters and histograms (every process), comments and queues now.

        The names are listed in docs/configuration.md#metrics. With ``METRICS_TOKEN`` set it
        needs ``Authorization: Bearer <token>`` (401 otherwise).
        """
        require_metrics_token()
        families = metrics.scrape_families(
            db.session(), current_app.extensions["redis"], WORKER_QUEUES
        )
        return Response(metrics.exposition(families), content_type=metrics.CONTENT_TYPE)
