"""Log set-up for every process, and the request id that follows a comment from the API to its jobs.

Two formats: ``text`` (one readable line per event, the default) and ``json`` (one JSON object per
line, for a log collector), chosen with ``moderation --log-format`` or ``MODERATION_LOG_FORMAT``.
A request id is taken from the request's ``X-Request-Id`` header (or made), echoed in the answer,
put in the meta of every job the request enqueues, and set again while a worker runs that job, so
one id finds the request's log lines and its jobs' lines in every process. This module imports
neither Flask nor the workers: queue.py and the workers use it as well as the app.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response

FORMATS = ("text", "json")
ENVIRONMENT_VARIABLE = "MODERATION_LOG_FORMAT"
REQUEST_ID_HEADER = "X-Request-Id"
# What a caller's request id may be: visible ASCII, as many tracing systems send. Anything else
# is replaced by an id of ours rather than refused: a request id must never cost a submission.
REQUEST_ID_PATTERN = re.compile(r"[!-~]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The attributes every LogRecord has; anything else on a record came as ``extra=`` and is kept.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)


class ContextFilter(logging.Filter):
    """Put the request id and job id of the running request or job on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        if getattr(record, "job_id", None) is None:
            record.job_id = job_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable line, with the request id at the end when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid else line


def chosen_format(log_format: str | None = None) -> str:
    """``log_format``, else the environment's, else ``text``; ValueError if it is neither format."""
    value = (log_format or os.environ.get(ENVIRONMENT_VARIABLE) or "text").strip().lower()
    if value not in FORMATS:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} must be one of {', '.join(FORMATS)}, not {value!r}"
        )
    return value


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


class StderrHandler(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is when it writes (tests swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure(log_format: str | None = None, level: int = logging.INFO, force: bool = True) -> str:
    """Send every logger's records to stderr in one format; the format. Safe to call again.

    The handler sits on the root logger, so RQ's loggers (which add their own handlers only when
    none is in effect) and gunicorn's error log (see ``GunicornLogger``) share it. With
    ``force=False`` a process whose logging someone else set up (an embedding app, pytest) is
    left as it is.
    """
    chosen = chosen_format(log_format)
    root = logging.getLogger()
    if not force and any(not getattr(h, "moderation", False) for h in root.handlers):
        return chosen
    unconfigure()
    handler = StderrHandler()
    # Marks our own handler, so a second configure() knows it (see above).
    handler.moderation = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(chosen))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start: noise, not events.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    return chosen


def unconfigure() -> None:
    """Take this module's handler off the root logger."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "moderation", False)]:
        root.removeHandler(handler)


def cli_option() -> Any:
    """``--log-format text|json`` for the ``moderation`` command: set for it and its children.

    The choice goes into ``MODERATION_LOG_FORMAT``, so the processes ``up`` and ``serve`` start
    (gunicorn, the workers) log the same way.
    """
    import click

    def apply(_: click.Context, __: click.Parameter, value: str | None) -> None:
        if value:
            os.environ[ENVIRONMENT_VARIABLE] = value
        try:
            configure(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from error

    return click.Option(
        ["--log-format"],
        type=click.Choice(FORMATS),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=apply,
        help="text (default) or json: one JSON object per line. Env: MODERATION_LOG_FORMAT.",
    )


def incoming_request_id(header: str | None) -> str:
    """The caller's request id if it is usable, else a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def job_context(current_job_id: str | None, meta: dict[str, Any] | None) -> Iterator[None]:
    """While a worker runs a job: its id, and the request id its enqueuer left in its meta."""
    job_token = job_id.set(current_job_id)
    request_token = request_id.set((meta or {}).get("request_id"))
    try:
        yield
    finally:
        request_id.reset(request_token)
        job_id.reset(job_token)


def job_meta() -> dict[str, Any]:
    """The meta to give a job enqueued now: the request id in effect, if any."""
    current = request_id.get()
    return {"request_id": current} if current else {}


def init_app(app: Flask) -> None:
    """Give every request an id (the caller's ``X-Request-Id`` or a new one) and echo it back.

    Registered before the other request hooks, so even a 401 or a 429 carries its id.
    """
    from flask import g, request

    def start() -> None:
        g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_id_token = request_id.set(g.request_id)

    def echo(response: Response) -> Response:
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    def finish(_: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)

    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(echo)
    app.teardown_request(finish)


def __getattr__(name: str) -> Any:
    """``GunicornLogger``, built on first use so that importing this module never loads gunicorn."""
    if name != "GunicornLogger":
        raise AttributeError(name)
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        """gunicorn's error log in the service's format (``--logger-class`` of ``serve``)."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            chosen = chosen_format()
            for handler in self.error_log.handlers:
                handler.setFormatter(formatter(chosen))
                handler.addFilter(ContextFilter())

    globals()["GunicornLogger"] = GunicornLogger
    return GunicornLogger
