"""Webhook receivers on loopback ports, as real sockets: well-behaved, trickling, and huge.

``Receiver`` is an HTTP server that records every request and answers ``statuses`` in turn.
``RawReceiver`` runs a function of ours on each accepted connection, for the receivers no HTTP
server library writes: one that trickles its answer a byte at a time (``trickle``), one that
answers with a 300 MB body (``huge``). All run in threads of the test process and stop on
``close`` (or as context managers).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """An HTTP server in a thread that records every request and answers ``statuses`` in turn.

    Each answer carries ``answer_body``: what an internal service would leak if a delivery log
    kept response bodies.
    """

    def __init__(self, answer_body: bytes = b"ok") -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.connections = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                receiver.connections += 1
                super().setup()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer_body)))
                self.end_headers()
                self.wfile.write(answer_body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hooks/moderation"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request with a Content-Length body; the request as received."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class RawReceiver:
    """A TCP server on a loopback port that hands each connection to ``answer(conn, receiver)``.

    ``requests`` holds what each connection sent; ``sent`` counts the bytes ``answer`` reports
    having sent (see ``huge``); ``times`` holds when each request arrived (monotonic clock).
    """

    def __init__(self, answer: Callable[[socket.socket, RawReceiver], None]) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self.times: list[float] = []
        self.sent = 0
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.requests.append(read_request(conn))
            self.times.append(time.monotonic())
            self.answer(conn, self)

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()
        self.thread.join(timeout=2)

    def __enter__(self) -> RawReceiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def trickle(interval: float) -> Callable[[socket.socket, RawReceiver], None]:
    """An answer sent one byte every ``interval`` seconds: each read is quick, the whole is not."""

    def answer(conn: socket.socket, receiver: RawReceiver) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
            if receiver.stopped.wait(interval):
                return
            conn.sendall(bytes([byte]))

    return answer


def huge(size: int) -> Callable[[socket.socket, RawReceiver], None]:
    """A 200 answer with a body of ``size`` bytes, streamed until done or the client leaves."""

    def answer(conn: socket.socket, receiver: RawReceiver) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"internal " * 7282  # 64 KB
        while receiver.sent < size and not receiver.stopped.is_set():
            conn.sendall(chunk)
            receiver.sent += len(chunk)

    return answer


def send(data: bytes) -> Callable[[socket.socket, RawReceiver], None]:
    """An answer of fixed bytes, then the connection closes."""

    def answer(conn: socket.socket, receiver: RawReceiver) -> None:
        conn.sendall(data)

    return answer
