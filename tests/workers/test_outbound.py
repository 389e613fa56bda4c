"""The outbound POST against real receivers on loopback ports: well-behaved, refused, trickling,
huge, not HTTP, and TLS with the name checked while connected to the checked address.

Loopback is refused by default; the positive tests reach their receiver with ``allow_private``.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests import receivers
from tests.receivers import RawReceiver, Receiver
from workers import outbound

BODY = b'{"id":"evt_1"}'
HEADERS = {"Content-Type": "application/json", "Moderation-Event-Id": "evt_1"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(answer_body=b"db_password=hunter2") as server:
        yield server


def test_a_delivery_sends_the_request_and_keeps_only_the_status_line(receiver: Receiver) -> None:
    receiver.statuses = [201]
    answer = outbound.post(receiver.url + "?v=1", BODY, HEADERS, allow_private=True)
    assert answer.status_code == 201 and answer.error is None
    assert answer.status_line == "HTTP/1.0 201 Created"
    assert answer.address == "127.0.0.1"
    assert "hunter2" not in repr(answer)
    ((headers, body),) = receiver.requests
    assert body == BODY
    assert headers["Moderation-Event-Id"] == "evt_1"
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_a_name_travels_in_the_host_header_while_the_socket_goes_to_its_checked_address(
    receiver: Receiver,
) -> None:
    url = f"http://localhost:{receiver.port}/hook"
    answer = outbound.post(url, BODY, HEADERS, allow_private=True)
    assert answer.status_code == 200 and answer.address in {"127.0.0.1", "::1"}
    assert receiver.requests[0][0]["Host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]"],
)
def test_loopback_in_any_spelling_is_refused_without_the_setting(
    receiver: Receiver, host: str
) -> None:
    answer = outbound.post(f"http://{host}:{receiver.port}/", BODY, HEADERS, allow_private=False)
    assert answer.status_code is None
    assert answer.error is not None and answer.error.startswith("Refused: ")
    assert "loopback" in answer.error
    assert receiver.connections == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "169.254.169.254", "224.0.0.1"])
def test_unspecified_link_local_and_multicast_are_refused_even_with_the_setting(
    receiver: Receiver, host: str
) -> None:
    answer = outbound.post(f"http://{host}:{receiver.port}/", BODY, HEADERS, allow_private=True)
    assert answer.error is not None and answer.error.startswith("Refused: ")
    # 0.0.0.0 would reach this machine's receiver: the refusal comes before any connection.
    assert receiver.connections == 0


def test_a_trickling_receiver_is_cut_off_at_the_total_deadline() -> None:
    # One byte every 0.5 s: each read is quick, the 38-byte answer would take 19 s.
    with RawReceiver(receivers.trickle(0.5)) as slow:
        started = time.monotonic()
        answer = outbound.post(slow.url, BODY, HEADERS, allow_private=True, deadline_seconds=2)
        took = time.monotonic() - started
    assert answer.status_code is None
    assert answer.error is not None and answer.error.startswith("Timeout: ")
    assert 1.9 <= took < 3.0, took


def test_a_300_mb_answer_is_not_read() -> None:
    """A child process posts to a receiver answering 300 MB; its peak memory barely moves."""
    with RawReceiver(receivers.huge(300 * 2**20)) as big:
        script = textwrap.dedent(
            f"""
            import json
            from workers import outbound
            def peak_kb():
                for line in open("/proc/self/status"):
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
            before = peak_kb()
            answer = outbound.post({big.url!r}, b"{{}}", {{}}, allow_private=True)
            print(json.dumps({{"status": answer.status_code, "grew_kb": peak_kb() - before}}))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        time.sleep(0.2)  # the receiver notices the closed connection
        sent = big.sent
    import json

    result = json.loads(done.stdout)
    assert result["status"] == 200
    assert result["grew_kb"] < 5 * 1024, result
    # The connection closed after the status line: the receiver could not push the whole body.
    assert sent < 50 * 2**20, sent


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204),
        (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\ninternal detail", 503),
    ],
)
def test_status_lines_are_read_past_interim_answers(answer: bytes, expected: int) -> None:
    with RawReceiver(receivers.send(answer)) as server:
        got = outbound.post(server.url, BODY, HEADERS, allow_private=True)
    assert got.status_code == expected
    assert "internal detail" not in repr(got)


@pytest.mark.parametrize(
    "answer", [b"SSH-2.0-OpenSSH_9.2\r\n", b"", b"HTTP/1.1 200" + b" x" * 3000]
)
def test_an_answer_that_is_not_http_is_an_error_and_is_not_kept(answer: bytes) -> None:
    with RawReceiver(receivers.send(answer)) as server:
        got = outbound.post(server.url, BODY, HEADERS, allow_private=True)
    assert got.status_code is None and got.error is not None
    assert "OpenSSH" not in got.error and " x x" not in got.error


def test_a_closed_port_is_a_connection_error() -> None:
    server = Receiver()
    server.close()
    got = outbound.post(server.url, BODY, HEADERS, allow_private=True)
    assert got.error is not None and got.error.startswith("ConnectionError: ")


def test_header_injection_is_refused_before_anything_is_sent(receiver: Receiver) -> None:
    got = outbound.post(receiver.url, BODY, {"X-Bad": "a\r\nX-Evil: 1"}, allow_private=True)
    assert got.error is not None and "line break" in got.error
    assert receiver.requests == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name ``localhost`` (made with openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_https_checks_the_certificate_against_the_name_and_sends_it_as_sni(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        url = f"https://localhost:{server.server_port}/hook"
        answer = outbound.post(url, BODY, HEADERS, allow_private=True, tls=trusted)
        assert answer.status_code == 202 and answer.address == "127.0.0.1"
        assert names[-1] == "localhost"
        # The certificate names localhost, not the address: reached by address it is refused.
        by_address = f"https://127.0.0.1:{server.server_port}/hook"
        refused = outbound.post(by_address, BODY, HEADERS, allow_private=True, tls=trusted)
        assert refused.error is not None and refused.error.startswith("TLSError: ")
    finally:
        server.shutdown()
        server.server_close()
