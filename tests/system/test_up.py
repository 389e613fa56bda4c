"""``moderation up`` as users run it: supervision, private files, gunicorn's own answers, ``sweep``.

One ``up`` on a fresh state folder for the module (starting it loads the models): the tests run in
file order and the last one stops it with SIGINT. Real processes throughout: the worker and the
embedded redis-server are killed with SIGKILL and must come back; gunicorn is sent over-long
request lines and headers on a raw socket.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.system.processes import REPO, Child, free_port, wait_until

pytestmark = pytest.mark.slow


@dataclass
class Up:
    child: Child
    url: str
    key: str
    state: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.child.log.read_text()

    def children(self) -> dict[int, str]:
        """pid -> command line of every process ``up`` started."""
        found = {}
        for task in Path(f"/proc/{self.child.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    found[int(pid)] = cmdline.read().replace(b"\0", b" ").decode()
        return found

    def pid_of(self, pattern: str) -> int:
        matches = [pid for pid, command in self.children().items() if re.search(pattern, command)]
        assert len(matches) == 1, self.children()
        return matches[0]

    def verdict(self, text: str, timeout: float = 60) -> str:
        """Submit ``text``; the status once a worker decided it."""
        headers = {"Authorization": f"Bearer {self.key}"}
        body = {"text": text, "name": "Ada"}
        answer = requests.post(f"{self.url}/v1/comments", json=body, headers=headers, timeout=10)
        assert answer.status_code == 202, answer.text
        comment = f"{self.url}/v1/comments/{answer.json()['id']}"
        status: list[str] = []

        def decided() -> bool:
            status.append(requests.get(comment, headers=headers, timeout=10).json()["status"])
            return status[-1] != "pending"

        wait_until(decided, f"a verdict for {text!r}", timeout, self.child)
        return status[-1]


def clean_environment() -> dict[str, str]:
    """The environment of a user's shell: no test database, no Redis URL."""
    unset = {"REDIS_URL", "MODERATION_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}
    return {
        name: value
        for name, value in os.environ.items()
        if name not in unset and not name.startswith("MODERATION_TEST")
    }


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    state = tmp_path_factory.mktemp("up") / "var"
    # A database file left world-readable by an earlier run (or a restore): up tightens it.
    state.mkdir(mode=0o755)
    env = {**clean_environment(), "MODERATION_STATE_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    child = Child([sys.executable, "-m", "moderation", "up", "--port", str(port)],
                  state.parent / "up.log", env)  # fmt: skip
    try:
        log = child.log
        wait_until(lambda: "site 'default' key" in log.read_text(), "moderation up", 90, child)
        key = re.search(r"msk_[A-Za-z0-9_-]+", log.read_text())
        assert key is not None
        wait_until(lambda: "models loaded" in log.read_text(), "the worker", 120, child)
        yield Up(child, f"http://127.0.0.1:{port}", key.group(0), state, env)
    finally:
        child.signal(signal.SIGINT, group=False)
        child.stop(timeout=30)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_folder_is_private(up: Up) -> None:
    assert up.verdict("A first comment, so the database has pages.") != "pending"
    assert mode(up.state) == 0o700
    files = [path for path in up.state.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {"moderation.db", "moderation.db-wal", "moderation.db-shm", "secret_key"} <= names
    assert {str(path): mode(path) for path in files} == {str(path): 0o600 for path in files}
    redis_dir = up.state / "redis"
    assert mode(redis_dir) == 0o700
    # No append-only file, no snapshot: comment ids do not outlive a purge in Redis' files.
    assert not list(redis_dir.glob("*.aof")) and not list(redis_dir.glob("appendonly*"))
    assert not list(redis_dir.glob("*.rdb"))


def test_sweep_finds_the_embedded_redis(up: Up) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moderation", "sweep"],
        env=up.env, cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "re-enqueued" in done.stderr


def raw_answer(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send ``request`` as is; the status line, headers and body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, {name.lower(): value for name, value in headers.items()}, body


@pytest.mark.parametrize(
    ("request_bytes", "code"),
    [
        (b"GET /healthz?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-N: 1\r\n" * 200 + b"\r\n", 431),
        (b"NOT A REQUEST\r\n\r\n", 400),
    ],
)
def test_gunicorns_own_errors_are_json(up: Up, request_bytes: bytes, code: int) -> None:
    import json

    status, headers, body = raw_answer(up.url, request_bytes)
    assert status.startswith(f"HTTP/1.1 {code} "), status
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    error = json.loads(body)
    assert set(error) == {"code", "status", "message", "errors"} and error["code"] == code


def slow_body_request(up: Up, length: int) -> bytes:
    host = up.url.removeprefix("http://")
    return (
        f"POST /v1/comments HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {up.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_ten_slow_body_clients_leave_the_api_answering(up: Up) -> None:
    host, port = up.url.removeprefix("http://").split(":")
    tricklers = [socket.create_connection((host, int(port)), timeout=30) for _ in range(10)]
    try:
        for connection in tricklers:
            connection.sendall(slow_body_request(up, 1000) + b'{"text": "')
        answered = []
        for _ in range(8):
            for connection in tricklers:
                connection.sendall(b"a")  # a byte a second: no read ever times out
            start = time.monotonic()
            health = requests.get(f"{up.url}/healthz", timeout=5)
            answered.append((health.status_code, time.monotonic() - start))
            time.sleep(max(0.0, 1 - (time.monotonic() - start)))
        assert all(code == 200 and seconds < 2 for code, seconds in answered), answered
    finally:
        for connection in tricklers:
            connection.close()


def test_a_client_that_stalls_its_body_is_dropped(up: Up) -> None:
    host, port = up.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=40) as connection:
        connection.sendall(slow_body_request(up, 1000) + b'{"text": "half a')
        start = time.monotonic()
        with contextlib.suppress(ConnectionResetError):
            connection.recv(65536)  # the close (or an error answer) ends the wait
        waited = time.monotonic() - start
    assert 8 < waited < 30, waited


def test_a_killed_worker_is_restarted(up: Up) -> None:
    worker = up.pid_of(r"moderation worker")
    os.kill(worker, signal.SIGKILL)
    # The API stays up meanwhile.
    assert requests.get(f"{up.url}/healthz", timeout=5).status_code == 200
    wait_until(lambda: "worker 1 restarted" in up.log(), "the worker's restart", 30, up.child)
    assert up.pid_of(r"moderation worker") != worker
    assert up.verdict("Thanks, this was useful after the worker came back.", 240) != "pending"


def test_a_killed_embedded_redis_is_restarted(up: Up) -> None:
    redis = up.pid_of(r"redis-server")
    os.kill(redis, signal.SIGKILL)
    wait_until(lambda: "embedded redis restarted" in up.log(), "redis' restart", 30, up.child)
    assert up.pid_of(r"redis-server") != redis
    assert requests.get(f"{up.url}/healthz", timeout=5).status_code == 200
    assert up.verdict("A comment after Redis came back.", timeout=240) != "pending"


def test_ctrl_c_stops_everything_and_exits_0_quietly(up: Up) -> None:
    children = up.children()
    before = len(up.log())
    start = time.monotonic()
    up.child.signal(signal.SIGINT, group=False)
    assert up.child.popen.wait(timeout=40) == 0
    assert time.monotonic() - start < 40
    stopping = up.log()[before:]
    # Was "Error: a service process exited; stopping the others" (and exit code 1).
    assert "Error" not in stopping and "Traceback" not in stopping, stopping
    for pid in children:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
