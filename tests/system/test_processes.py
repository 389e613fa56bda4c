"""The test helpers stop every process they start, also when the test fails (issue 17, item 8).

``tests/system/test_frozen_redis.py`` left a redis-server serving after the suite: it entered
``RedisServer(...).start()`` as a context, which started a second server over the first and
stopped only that one.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.system.processes import RedisServer


def redis_servers_on(port: int) -> list[int]:
    """The pids of live redis-servers on ``port`` (redis-server retitles itself "HOST:PORT")."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (proc / "status").read_text()
        except OSError:
            continue
        if "redis-server" in command and f":{port}" in command and "zombie" not in status:
            found.append(int(proc.name))
    return found


def test_a_redis_server_started_then_entered_leaves_no_process(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    try:
        with server.start():
            assert server.ping()
            assert len(redis_servers_on(server.port)) == 1
        assert redis_servers_on(server.port) == []
    finally:
        # Should the helper leak again, this test still cleans up after itself.
        for pid in redis_servers_on(server.port):
            os.kill(pid, signal.SIGKILL)


def test_a_failing_test_leaves_no_redis_server(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    with pytest.raises(RuntimeError, match="the test failed"), server:
        assert server.ping()
        raise RuntimeError("the test failed")
    assert redis_servers_on(server.port) == []
