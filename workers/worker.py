"""Worker process start-up: load the models once, then run RQ's worker, scheduler and the sweeper.

The worker does not fork (``SimpleWorker``, RQ's scheduler as a thread): the models are loaded
before the first job and every job reuses them, which is what makes ~1 ms scoring possible. A
crash of the process loses at most the job in hand, and the sweeper brings that comment back.
The main thread scores and explains; webhook deliveries, which wait on receivers, are sent by
threads of their own (``workers.delivery_pool``), so no receiver delays a verdict.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
import threading
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from moderation.queue import WEBHOOK_QUEUE, WORKER_QUEUES, connect, get_queue, sweep_all
from moderation.storage import db
from workers.context import WorkerContext, activate
from workers.delivery_pool import DeliveryPool

logger = logging.getLogger(__name__)

SWEEP_LOCK = "moderation:sweeper-lock"


def sweep_once(connection: Redis, after_seconds: int, interval_seconds: int) -> int:
    """One sweep, unless another worker swept during this interval (a Redis lock decides)."""
    try:
        if not connection.set(SWEEP_LOCK, "1", nx=True, ex=max(1, interval_seconds)):
            return 0
    except RedisError as error:
        logger.warning("sweeper cannot reach Redis: %s", error)
        return 0
    session = db.session()
    try:
        return sum(sweep_all(session, connection, after_seconds))
    finally:
        db.remove()


def run_sweeper(
    redis_url: str, after_seconds: int, interval_seconds: int, stop: threading.Event
) -> None:
    """Sweep every ``interval_seconds`` until ``stop`` is set; errors are logged, never fatal."""
    connection = connect(redis_url)
    while not stop.wait(interval_seconds):
        try:
            sweep_once(connection, after_seconds, interval_seconds)
        except Exception:
            logger.exception("sweep failed; trying again in %d s", interval_seconds)


def run_scheduler(redis_url: str, stop: threading.Event) -> None:
    """Every second, move the retries that are due from RQ's scheduled registries to their queues.

    This is RQ's scheduler run as a thread of the worker. ``work(with_scheduler=True)`` would fork
    it as a process of its own, which outlives a worker killed with SIGKILL (nothing tells it its
    parent died) and keeps the scheduler lock; a thread dies with its worker, and the lock (61 s)
    passes to another worker's thread. One worker at a time holds it.
    """
    scheduler = RQScheduler(
        list(WORKER_QUEUES),
        connection=connect(redis_url),
        logging_level="WARNING",
        serializer=JSONSerializer,
    )
    while not stop.wait(scheduler.interval):
        try:
            if scheduler.acquire_locks():
                scheduler.enqueue_scheduled_jobs()
        except RedisError as error:
            logger.warning("scheduler cannot reach Redis: %s", error)
    with contextlib.suppress(RedisError):
        scheduler.release_locks()


def prepare(config: dict[str, Any], models_dir: str | None = None) -> WorkerContext:
    """Bind the database, load the models (the registry's active versions) and activate the
    worker's context, before the first job."""
    db.configure(config["DATABASE_URL"])
    context = WorkerContext.from_config(config)
    context.load_models(models_dir or config["MODELS_DIR"] or None)
    if config["TEST_WORKER_HOOK"]:
        run_test_hook(config["TEST_WORKER_HOOK"], context)
    activate(context)
    return context


def run_test_hook(path: str, context: WorkerContext) -> None:
    """Call the tests' ``module:function`` with the context (config allows it only in testing)."""
    module, _, name = path.partition(":")
    getattr(importlib.import_module(module), name)(context)
    logger.warning("test hook %s installed", path)


class ScoringWorker(SimpleWorker):
    """RQ's SimpleWorker that remembers whether it was asked to stop.

    RQ's work loop also ends when Redis goes away in the middle of a job; ``run`` then starts a
    new worker once Redis answers, instead of letting the process, and with it ``moderation up``,
    exit.
    """

    stop_requested = False

    def request_stop(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


def wait_for_redis(connection: Redis, stop: threading.Event) -> None:
    """Block until Redis answers or a stop is requested, backing off from 0.5 s to 5 s."""
    delay = 0.5
    while not stop.wait(delay):
        try:
            connection.ping()
            return
        except RedisError:
            delay = min(delay * 2, 5.0)


def run(config: dict[str, Any], *, burst: bool = False, sweeper: bool = True) -> None:
    """Run a worker on the scoring and webhook queues until it is stopped.

    In burst mode (tests, a one-off catch-up) one thread works every queue until they are empty.
    """
    prepare(config)
    # No socket timeout here: RQ blocks on BLPOP for minutes between jobs.
    connection = Redis.from_url(config["REDIS_URL"], health_check_interval=30)
    names = [name for name in WORKER_QUEUES if burst or name != WEBHOOK_QUEUE]
    queues = [get_queue(connection, name) for name in names]
    stop = threading.Event()
    pool = (
        None
        if burst
        else DeliveryPool(
            config["REDIS_URL"], config["DELIVERY_THREADS"], config["WEBHOOK_LANE_PER_SITE"]
        ).start()
    )
    if sweeper and not burst:
        threading.Thread(
            target=run_sweeper,
            args=(
                config["REDIS_URL"],
                config["SWEEP_AFTER_SECONDS"],
                config["SWEEP_INTERVAL_SECONDS"],
                stop,
            ),
            name="sweeper",
            daemon=True,
        ).start()
    if not burst:
        threading.Thread(
            target=run_scheduler, args=(config["REDIS_URL"], stop), name="scheduler", daemon=True
        ).start()
    try:
        while True:
            worker = ScoringWorker(queues, connection=connection, serializer=JSONSerializer)
            try:
                # In burst mode RQ enqueues the due retries once, in this process, and stops.
                worker.work(burst=burst, with_scheduler=burst, logging_level="WARNING")
            except RedisError as error:
                # RQ's teardown could not reach Redis either; the loop below waits for it.
                logger.warning("worker stopped without Redis: %s", error)
            if burst or worker.stop_requested:
                return
            logger.warning("the worker loop ended (Redis lost?); restarting when Redis answers")
            # Until the next worker installs RQ's handlers, SIGTERM and SIGINT end the wait.
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            wait_for_redis(connection, stop)
            if stop.is_set():
                return
    finally:
        stop.set()
        if pool is not None:
            pool.stop()
