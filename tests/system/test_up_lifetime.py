"""``moderation up`` holds its folder and takes its children with it (issue 17, item 1).

A real ``up`` on a fresh state folder: a second ``up`` on the same folder is refused with the
first one's pid and changes nothing; then ``kill -9`` of the first ``up`` must end every process
it started (embedded redis-server, gunicorn's master and workers, the scoring worker), and a new
``up`` on the folder starts. Whatever a failure leaves is killed by pid in the fixture's finally.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.system.processes import REPO, Child, free_port, wait_until
from tests.system.test_up import clean_environment

pytestmark = pytest.mark.slow


def descendants(pid: int) -> set[int]:
    """Every live process under ``pid`` (children, their children ...)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                for child in (task / "children").read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        todo.append(int(child))
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (dead) parent's reaper."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


class Ups:
    """The ``up`` processes of one test and every pid they started, all killed at the end."""

    def __init__(self, state: Path, env: dict[str, str]) -> None:
        self.state, self.env = state, env
        self.children: list[Child] = []
        self.pids: set[int] = set()

    def start(self, port: int) -> Child:
        log = self.state.parent / f"up-{len(self.children)}.log"
        child = Child(
            [sys.executable, "-m", "moderation", "up", "--port", str(port)], log, self.env
        )
        self.children.append(child)
        return child

    def kill_all(self) -> None:
        for child in self.children:
            self.pids |= descendants(child.pid)
            child.stop(timeout=15)
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def ups(tmp_path: Path) -> Iterator[Ups]:
    state = tmp_path / "var"
    env = {**clean_environment(), "MODERATION_STATE_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    running = Ups(state, env)
    try:
        yield running
    finally:
        running.kill_all()


def test_a_second_up_is_refused_and_a_killed_up_takes_its_children(ups: Ups) -> None:
    port = free_port()
    first = ups.start(port)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: "site 'default' key" in first.log.read_text(), "moderation up", 120, first)
    wait_until(lambda: healthy(url), "the API under up", 60, first)

    second = subprocess.run(
        [sys.executable, "-m", "moderation", "up", "--port", str(free_port())],
        env=ups.env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode == 2, second.stderr
    assert f"another `moderation up` (pid {first.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    assert healthy(url)

    started = descendants(first.pid)
    ups.pids |= started
    commands = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in started)
    assert "redis-server" in commands and "gunicorn" in commands and "worker" in commands
    assert len(started) >= 5, commands  # redis, api master, its 2 workers, the worker

    first.kill(group=False)
    wait_until(
        lambda: not any(alive(pid) for pid in started), "the children of a killed up", 40, None
    )
    assert not healthy(url)

    # The folder is free again: a new `up` takes it and serves.
    third = ups.start(port)
    wait_until(lambda: healthy(url), "the new up's API", 120, third)
