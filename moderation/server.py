"""gunicorn's side of serving the API: the worker class, whose own answers are JSON.

gunicorn answers some requests itself, before Flask sees them: a request line over its limit
(414), too many or too large header fields (431), a malformed request line or header (400). It
writes those as HTML through ``gunicorn.util.write_error``; every other answer of the API is the
one JSON error shape (``moderation.http.errors``). The worker class below, loaded only in
gunicorn's processes (``--worker-class moderation.server.ThreadWorker``), replaces that function
with one that writes the same shape.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers import gthread


def error_answer(code: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer in the API's error shape, closing the connection."""
    body = json.dumps(
        {"code": code, "status": reason, "message": message or reason, "errors": {}}
    ).encode()
    head = (
        f"HTTP/1.1 {code} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error`` in JSON (same signature: gunicorn calls it)."""
    util.write_nonblock(sock, error_answer(status_int, reason, mesg))


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker whose own error answers are JSON."""

    def init_process(self) -> None:
        # gunicorn.workers.base calls util.write_error by attribute, so replacing it here (in
        # the worker process, once) changes every answer it writes itself.
        util.write_error = write_error
        super().init_process()
