"""One JSON error shape for every failure: ``{"code", "status", "message", "errors"}``.

flask-smorest already answers HTTP errors as JSON; the ``Api`` below makes ``message`` and
``errors`` always present, keeps the headers an error carries (``Allow`` on 405), turns a
database outage into 503 with Retry-After and a breached rate limit into 429 with Retry-After,
and documents in ``/openapi.json`` the errors each operation can answer (``http/openapi.py``).
The one instance is ``moderation.extensions.api``.
"""

from __future__ import annotations

import logging
from typing import Any

import flask_smorest
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from moderation.http.limits import retry_after_seconds
from moderation.http.openapi import ErrorResponses, document
from moderation.schemas.common import ErrorSchema

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying when the database is unreachable.
RETRY_AFTER_SECONDS = 5


class Api(flask_smorest.Api):
    """flask-smorest's Api with the error shape, the outage and rate-limit answers, and the
    API-wide parts of the OpenAPI document."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *, extra_plugins: Any = None, **options: Any) -> None:
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), ErrorResponses()], **options)
        document(self)

    def _register_error_handlers(self) -> None:
        super()._register_error_handlers()
        self._app.register_error_handler(OperationalError, self.handle_database_error)
        self._app.register_error_handler(DBAPIError, self.handle_database_error)
        self._app.register_error_handler(RateLimitExceeded, self.handle_rate_limit)

    def handle_http_exception(self, error: HTTPException) -> Any:
        payload, code, headers = super().handle_http_exception(error)
        payload.setdefault("message", error.description)
        payload.setdefault("errors", {})
        # Werkzeug's own headers (Allow on 405, ...), but not its HTML Content-Type.
        kept = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return payload, code, {**kept, **(headers or {})}

    def handle_database_error(self, error: DBAPIError) -> Any:
        # Only connection-level failures mean "try later"; anything else is a bug (500). A pooled
        # connection the server closed while stopping says InterfaceError ("connection is closed").
        connection_level = isinstance(error, OperationalError | InterfaceError)
        if not error.connection_invalidated and not connection_level:
            raise error
        logger.warning("database unavailable: %s", error.orig)
        unavailable = ServiceUnavailable("The database is unavailable; retry later.")
        payload, code, headers = self.handle_http_exception(unavailable)
        headers = {**headers, "Retry-After": str(RETRY_AFTER_SECONDS)}
        return payload, code, headers

    def handle_rate_limit(self, error: RateLimitExceeded) -> Any:
        """429 in the one error shape, with Retry-After."""
        seconds = retry_after_seconds()
        # werkzeug reads ``data`` off any HTTPException (flask-smorest puts its message there).
        error.data = {  # type: ignore[attr-defined]
            "message": f"Rate limit exceeded ({error.description}); retry in {seconds} s.",
            "headers": {"Retry-After": str(seconds)},
        }
        return self.handle_http_exception(error)
