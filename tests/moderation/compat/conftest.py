"""Fixtures of the protocol tests: a real RQ worker running beside the app, and the sites' keys.

The protocols' calls are synchronous (the request waits for the worker's verdict), so the worker
cannot run after the request as the ``work`` fixture does: a real ``SimpleWorker`` runs in a
thread of this process, on the same Redis and database, with the shipped models. Signal handlers
are the one thing a thread cannot install; they only serve Ctrl-C and warm shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select

from moderation.keys import create_key
from moderation.queue import WORKER_QUEUES, get_queue
from moderation.storage import Role, Site, db

BLOG = "https://blog.example"


class ThreadWorker(SimpleWorker):
    """RQ's SimpleWorker as it runs in a thread: a timer, not SIGALRM, enforces job timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


@pytest.fixture
def live_worker(app: Any, scorer: Any, redis_url: str) -> Iterator[None]:
    """A real RQ worker taking jobs from the app's queues while the test runs."""
    from workers.context import WorkerContext, activate

    activate(
        WorkerContext(
            max_attempts=app.config["MAX_SCORE_ATTEMPTS"],
            secret_key=app.config["SECRET_KEY"],
            scorer=scorer,
        )
    )
    stop = threading.Event()

    def run() -> None:
        connection = Redis.from_url(redis_url)
        queues = [get_queue(connection, name) for name in WORKER_QUEUES]
        while not stop.is_set():
            worker = ThreadWorker(queues, connection=connection, serializer=JSONSerializer)
            worker.work(burst=True, logging_level="WARNING")
            stop.wait(0.01)

    thread = threading.Thread(target=run, name="rq-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def site_key(site: str, role: Role) -> str:
    with db.transaction() as session:
        row = session.scalar(select(Site).where(Site.name == site))
        _, plaintext = create_key(session, role, row)
    return plaintext


@pytest.fixture
def akismet_key(keys: Any) -> str:
    """An Akismet key of site ``blog`` (origin https://blog.example)."""
    return site_key("blog", Role.AKISMET)
