"""``moderation up``'s front door buffers requests: tricklers cost no gunicorn thread (issue 17,
item 2).

A real ``up --workers 0`` (Redis, the front door and gunicorn; no models needed) on a fresh state
folder. Before the front door, about 34 clients trickling a byte every 4 s took all of gunicorn's
2 x 16 threads and ``/readyz`` timed out; now 200 of them leave it answering, and a client that
keeps trickling is cut when its whole request has taken ``REQUEST_SECONDS``, not never.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from moderation.cli.front import REQUEST_SECONDS
from tests.system.processes import Child, free_port, wait_until
from tests.system.test_up import clean_environment
from tests.system.test_up_lifetime import descendants

pytestmark = pytest.mark.slow


def ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    state = tmp_path_factory.mktemp("front") / "var"
    env = {**clean_environment(), "MODERATION_HOME": str(state), "PYTHONUNBUFFERED": "1"}
    env["MODERATION_RATE_LIMIT_ENABLED"] = "false"
    port = free_port()
    command = [sys.executable, "-m", "moderation", "up", "--port", str(port), "--workers", "0"]
    child = Child(command, state.parent / "up.log", env)
    pids: set[int] = set()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: ready(url), "moderation up", 120, child)
        key = re.search(r"msk_[A-Za-z0-9_-]+", child.log.read_text())
        assert key is not None
        pids = descendants(child.pid)
        yield url, key.group(0), state
    finally:
        pids |= descendants(child.pid)
        child.signal(signal.SIGINT, group=False)
        child.stop(timeout=30)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def trickler(url: str, key: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=60)
    connection.sendall(
        f"POST /v1/comments HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"text": "'.encode()
    )
    return connection


def test_two_hundred_tricklers_leave_the_api_answering(up: tuple[str, str, Path]) -> None:
    url, key, _ = up
    tricklers = [trickler(url, key) for _ in range(200)]
    try:
        answered = []
        for second in range(10):
            if second % 3 == 0:
                for connection in tricklers:
                    connection.sendall(b"a")
            start = time.monotonic()
            code = requests.get(f"{url}/readyz", timeout=5).status_code
            answered.append((code, round(time.monotonic() - start, 2)))
            time.sleep(max(0.0, 1 - (time.monotonic() - start)))
        assert all(code == 200 and seconds < 2 for code, seconds in answered), answered
        # A whole request still goes through beside them, with its client's answer.
        posted = requests.post(
            f"{url}/v1/comments",
            json={"text": "A comment beside the tricklers.", "name": "Ada"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
    finally:
        for connection in tricklers:
            connection.close()


def test_a_request_that_keeps_trickling_is_cut_at_the_total_bound(
    up: tuple[str, str, Path],
) -> None:
    url, key, _ = up
    connection = trickler(url, key)
    start = time.monotonic()
    cut = None
    with connection:
        while time.monotonic() - start < REQUEST_SECONDS + 20:
            try:
                connection.sendall(b"a")  # a byte every 2 s: no single read ever times out
                connection.settimeout(2)
                if connection.recv(1) == b"":
                    cut = time.monotonic() - start
                    break
            except TimeoutError:
                continue
            except OSError:
                cut = time.monotonic() - start
                break
    assert cut is not None and REQUEST_SECONDS - 3 < cut < REQUEST_SECONDS + 10, cut


def test_a_forged_forwarded_for_is_not_the_address_trusted(up: tuple[str, str, Path]) -> None:
    """The front door appends the client's address; the API trusts only that last hop, so two
    forged addresses from one client hash to the client's one address."""
    url, key, state = up
    ids = []
    for forged in ("203.0.113.7", "198.51.100.9"):
        posted = requests.post(
            f"{url}/v1/comments",
            json={"text": f"From behind {forged}.", "name": "Bo"},
            headers={"Authorization": f"Bearer {key}", "X-Forwarded-For": forged},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        ids.append(posted.json()["id"])
    with contextlib.closing(sqlite3.connect(state / "moderation.db")) as database:
        hashes = {
            row[0]
            for row in database.execute(
                "SELECT ip_hash FROM comments WHERE id IN (?, ?)", ids
            ).fetchall()
        }
    assert len(hashes) == 1 and None not in hashes, hashes
