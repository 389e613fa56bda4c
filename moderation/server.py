"""gunicorn's side of serving the API: the worker class, its read timeout and its JSON answers.

gunicorn answers some requests itself, before Flask sees them: a request line over its limit
(414), too many or too large header fields (431), a malformed request line or header (400). It
writes those as HTML through ``gunicorn.util.write_error``; every other answer of the API is the
one JSON error shape (``moderation.http.errors``). The worker class below, loaded only in
gunicorn's processes (``--worker-class moderation.server.ThreadWorker``), replaces that function
with one that writes the same shape.

A client that sends its body slowly holds one of gunicorn's threads while it does (gthread reads
the body in the thread that runs the view). Once the headers are in, every read from the client
must return within ``READ_TIMEOUT_SECONDS`` or the connection is dropped: a client that stalls
costs a thread for that long, not forever. (A client that trickles a byte at a time still holds
one: ``up`` runs enough threads that ten of them leave the API answering, and production puts
nginx in front, which buffers whole requests before passing them on; see docs/security.md.)
"""

from __future__ import annotations

import json
import socket
from typing import Any

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


# Like nginx's client_body_timeout: between two reads of the body, not for the whole body.
READ_TIMEOUT_SECONDS = 10.0


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker: JSON error answers, a read timeout on request bodies."""

    def handle_request(self, req: Any, conn: Any) -> Any:
        # gunicorn made the socket blocking without a timeout; the view's body reads use it.
        conn.sock.settimeout(READ_TIMEOUT_SECONDS)
        return super().handle_request(req, conn)

    def init_process(self) -> None:
        # gunicorn.workers.base calls util.write_error by attribute, so replacing it here (in
        # the worker process, once) changes every answer it writes itself.
        util.write_error = write_error
        super().init_process()
