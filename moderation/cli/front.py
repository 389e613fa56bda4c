"""``moderation up``'s front door: whole requests are buffered before gunicorn sees them.

gunicorn's gthread workers read a request's head and body on the thread that runs the view, so a
client that trickles its body a byte every few seconds holds a thread for as long as it likes
(about 34 of them froze ``up``'s 2 x 16 threads, issue 17 item 2). In docker-compose nginx
buffers requests; under ``up`` this process does: an asyncio server that reads each request
whole, within its limits, in a few kilobytes of memory per waiting client, and only then opens a
connection to the API (gunicorn on a Unix socket in the state folder, reachable by no one else)
and streams the answer back. A thousand tricklers cost this process memory, not one thread.

Limits, as nginx's in deploy/nginx.conf: the head within ``HEAD_LIMIT`` bytes, every read within
``READ_SECONDS`` (a stalled client is dropped), and the whole request within ``REQUEST_SECONDS``
however it trickles (the bound gunicorn alone could not give); bodies over ``MAX_BODY_BYTES``
are 413 here. One request per connection (``Connection: close``). The client's address goes on
in ``X-Forwarded-For`` (the API trusts one more hop under ``up``), with ``X-Forwarded-Proto``
and ``-Host``, appended to what the client sent, so a forged value is never the one trusted.
What this process does not parse (a malformed head) goes to gunicorn as it came, which answers
in the API's JSON error shape (``moderation/server.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

import click

from moderation import config as settings

logger = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
READ_SECONDS = 10.0
REQUEST_SECONDS = 30.0
ANSWER_SECONDS = 120.0
MAX_CONNECTIONS = 1024
# Hop-by-hop headers, and those this process sets itself.
DROPPED = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"content-length",
    b"expect",
    b"upgrade",
}
APPENDED = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")


class Refused(Exception):
    """The request breaks a limit: answer ``code`` in the API's error shape and close."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        # Here, not at import: moderation.server imports gunicorn, which no other command needs.
        from moderation.server import error_answer

        super().__init__(message)
        self.answer = error_answer(code, reason, message)


def split_head(head: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """The request line and the header fields; None if a line is not ``name: value``."""
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    fields = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            return None
        fields.append((name, value.strip()))
    return lines[0], fields


async def read_body(
    reader: asyncio.StreamReader, fields: list[tuple[bytes, bytes]], max_body: int, deadline: float
) -> bytes:
    """The whole body (chunked decoded), each read within READ_SECONDS, all before ``deadline``."""
    loop = asyncio.get_running_loop()

    async def read(operation: Awaitable[bytes]) -> bytes:
        left = min(READ_SECONDS, deadline - loop.time())
        if left <= 0:
            raise TimeoutError
        return await asyncio.wait_for(operation, left)

    values = {name.lower(): value for name, value in fields}
    if values.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await read(reader.readuntil(b"\r\n"))
            size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while (await read(reader.readuntil(b"\r\n"))) != b"\r\n":
                    pass  # trailers, dropped
                return body
            if len(body) + size > max_body:
                raise Refused(413, "Content Too Large", f"Bodies are limited to {max_body} bytes.")
            body += (await read(reader.readexactly(size + 2)))[:-2]
    length = int(values.get(b"content-length", b"0") or b"0")
    if length > max_body:
        raise Refused(413, "Content Too Large", f"Bodies are limited to {max_body} bytes.")
    body = b""
    while len(body) < length:
        chunk = await read(reader.read(length - len(body)))
        if not chunk:
            raise asyncio.IncompleteReadError(body, length)
        body += chunk
    return body


def forwarded_head(
    request_line: bytes, fields: list[tuple[bytes, bytes]], body: bytes, client: str
) -> bytes:
    """The head sent to gunicorn: hop-by-hop fields dropped, the client appended, one request."""
    values = {name.lower(): value for name, value in fields}
    host = values.get(b"host", b"")
    kept = [(n, v) for n, v in fields if n.lower() not in DROPPED and n.lower() not in APPENDED]
    for name, ours in zip(APPENDED, (client.encode(), b"http", host), strict=True):
        theirs = values.get(name)
        kept.append((name, theirs + b", " + ours if theirs else ours))
    kept += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    return request_line + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in kept) + b"\r\n"


class Front:
    """The buffering server: listens on ``host:port``, passes whole requests to ``upstream``."""

    def __init__(self, upstream: str, max_body: int) -> None:
        self.upstream = upstream
        self.max_body = max_body
        self.open = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        try:
            if self.open > MAX_CONNECTIONS:
                return
            await self.serve_one(reader, writer)
        except Refused as refused:
            with contextlib.suppress(OSError):
                writer.write(refused.answer)
                await asyncio.wait_for(writer.drain(), READ_SECONDS)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # a client that stalled, hung up or sent nonsense: dropped
        finally:
            self.open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REQUEST_SECONDS
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_SECONDS * 3)
        except asyncio.LimitOverrunError:
            raise Refused(
                431, "Request Header Fields Too Large", "The request's head is too large."
            ) from None
        parsed = split_head(head)
        if parsed is None:
            await self.relay(head, writer)  # gunicorn answers 400 in the JSON shape
            return
        request_line, fields = parsed
        if any(n.lower() == b"expect" and v.lower() == b"100-continue" for n, v in fields):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        body = await read_body(reader, fields, self.max_body, deadline)
        peer = writer.get_extra_info("peername")
        client = peer[0] if isinstance(peer, tuple) else "unknown"
        await self.relay(forwarded_head(request_line, fields, body, client) + body, writer)

    async def relay(self, request: bytes, writer: asyncio.StreamWriter) -> None:
        """Send the whole request to gunicorn and stream its answer back until it closes."""
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_unix_connection(self.upstream), READ_SECONDS
        )
        try:
            up_writer.write(request)
            await up_writer.drain()
            while chunk := await asyncio.wait_for(up_reader.read(65536), ANSWER_SECONDS):
                writer.write(chunk)
                await asyncio.wait_for(writer.drain(), ANSWER_SECONDS)
        finally:
            up_writer.close()


async def serve_front(host: str, port: int, upstream: str, max_body: int) -> None:
    front = Front(upstream, max_body)
    server = await asyncio.start_server(front.handle, host, port, limit=HEAD_LIMIT, backlog=1024)
    async with server:
        await server.serve_forever()


@click.command("front", hidden=True)
@click.option("--host", required=True)
@click.option("--port", type=int, required=True)
@click.option("--upstream", required=True, help="gunicorn's Unix socket.")
def front(host: str, port: int, upstream: str) -> None:
    """``up``'s buffering front door (not for direct use)."""
    max_body = int(settings.from_environment()["MAX_BODY_BYTES"])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_front(host, port, upstream, max_body))
