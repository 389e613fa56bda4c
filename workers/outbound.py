"""One outbound HTTP POST that no receiver can stretch: a checked, pinned address, a total
deadline, and nothing read but the status line.

The host is resolved and every address checked (``moderation.destinations``) at the moment of
sending; the socket connects to that checked address and the name only travels in the ``Host``
header and in TLS (SNI and certificate check), so a DNS answer that changes between the check and
the connection (rebinding) changes nothing. Every socket operation gets the time left before
one deadline for the whole exchange (lookup, connect, TLS, send, answer), so a receiver that
trickles a byte every few seconds is cut off at the deadline, not after each read. The answer is
read in small pieces until its status line is in, at most ``MAX_ANSWER_BYTES``, then the
connection is closed: a body of any size costs nothing, and none of it is kept.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import time
from dataclasses import dataclass

from moderation.destinations import Destination, resolve
from moderation.exceptions import DestinationRefused

# Seconds for a whole delivery; a receiver should answer at once and do its work later.
DEADLINE_SECONDS = 10.0
# Bytes of an answer read at most while looking for its status line.
MAX_ANSWER_BYTES = 4096
# Characters of a status line kept ("HTTP/1.1 503 Service Unavailable").
STATUS_LINE_LENGTH = 120
_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})(?: [^\r\n]*)?")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the status (None without one), an error, the address, the time."""

    status_code: int | None
    status_line: str | None
    error: str | None
    address: str | None
    duration_ms: float


class Deadline:
    """The time left before one moment, for each socket operation in turn."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds

    def left(self) -> float:
        left = self.expires - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left

    def apply(self, sock: socket.socket) -> None:
        sock.settimeout(self.left())


def request_bytes(destination: Destination, body: bytes, headers: dict[str, str]) -> bytes:
    """The HTTP/1.1 request: our headers, the body's length, and ``Connection: close``."""
    lines = [f"POST {destination.target} HTTP/1.1", f"Host: {destination.host_header}"]
    if destination.username is not None:
        credentials = f"{destination.username}:{destination.password or ''}".encode()
        lines.append(f"Authorization: Basic {base64.b64encode(credentials).decode()}")
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def connect(
    destination: Destination, deadline: Deadline, tls: ssl.SSLContext | None
) -> tuple[socket.socket, str]:
    """A socket connected to the first checked address that answers, with TLS for https."""
    error: OSError | None = None
    for address in destination.addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            deadline.apply(sock)
            sock.connect((address, destination.port))
            if destination.scheme == "https":
                context = tls or ssl.create_default_context()
                sock = context.wrap_socket(
                    sock, server_hostname=destination.host, do_handshake_on_connect=False
                )
                deadline.apply(sock)
                sock.do_handshake()
            return sock, address
        except TimeoutError:
            sock.close()
            raise
        except OSError as failure:
            sock.close()
            error = failure
    raise error or OSError(f"{destination.host} has no address")


def read_status_line(sock: socket.socket, deadline: Deadline) -> bytes:
    """The final status line of the answer (interim 1xx answers skipped), within the limits."""
    data = b""
    received = 0
    while True:
        line_end = data.find(b"\r\n")
        if line_end >= 0:
            match = _STATUS_LINE.fullmatch(data[:line_end])
            if match is None:
                raise ValueError("the answer is not HTTP")
            if not match.group(1).startswith(b"1"):
                return data[:line_end]
            block_end = data.find(b"\r\n\r\n")
            if block_end >= 0:  # an interim answer ("100 Continue"): the final one follows
                data = data[block_end + 4 :]
                continue
        if received >= MAX_ANSWER_BYTES:
            raise ValueError(f"no status line in the first {MAX_ANSWER_BYTES} bytes of the answer")
        deadline.apply(sock)
        chunk = sock.recv(min(1024, MAX_ANSWER_BYTES - received))
        if not chunk:
            raise ConnectionError("the receiver closed the connection without an answer")
        received += len(chunk)
        data += chunk


def exchange(
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
    deadline: Deadline,
    tls: ssl.SSLContext | None,
) -> tuple[bytes, str]:
    """Send the request to a checked address; the status line and the address used."""
    sock, address = connect(destination, deadline, tls)
    try:
        deadline.apply(sock)
        sock.sendall(request_bytes(destination, body, headers))
        return read_status_line(sock, deadline), address
    finally:
        sock.close()


def describe(error: BaseException) -> str:
    """A log line for a failed attempt: the kind of failure and its message, nothing received."""
    if isinstance(error, DestinationRefused):
        kind = "Refused"
    elif isinstance(error, TimeoutError):
        kind = "Timeout"
    elif isinstance(error, ssl.SSLError | ssl.CertificateError):
        kind = "TLSError"
    elif isinstance(error, OSError):
        kind = "ConnectionError"
    else:
        kind = "ProtocolError"
    return f"{kind}: {error}"[:500]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    deadline_seconds: float = DEADLINE_SECONDS,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST ``body`` to ``url`` once, within ``deadline_seconds`` in all; never raises.

    ``tls`` replaces the system's certificate authorities (the tests' own CA).
    """
    started = time.monotonic()
    deadline = Deadline(deadline_seconds)
    address: str | None = None
    try:
        destination = resolve(url, allow_private=allow_private, timeout=deadline.left())
        line, address = exchange(destination, body, headers, deadline, tls)
    except (OSError, ValueError, DestinationRefused) as error:
        return Answer(None, None, describe(error), address, elapsed_ms(started))
    code = int(line.split(b" ", 2)[1])
    status_line = _UNPRINTABLE.sub("?", line.decode("latin-1"))[:STATUS_LINE_LENGTH]
    return Answer(code, status_line, None, address, elapsed_ms(started))


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
