"""The delivery threads of a worker process: RQ workers on the webhook queue only, beside scoring.

A delivery may wait on a slow receiver until its deadline (``workers.outbound``, 10 s). On the
scoring thread that wait would delay every verdict queued behind it; here each thread runs an RQ
worker of its own on the ``webhooks`` queue, so the main thread keeps scoring while deliveries
wait, and ``DELIVERY_THREADS`` deliveries wait at most at once per process. The threads do no
CPU work worth the name (a signature, a socket), so they cost scoring nothing.

RQ's worker is made for a main thread: these install no signal handlers (the main thread's
worker receives SIGTERM and stops them) and time jobs out with a timer, not SIGALRM. They ask
Redis for work every ``POLL_SECONDS`` so that a stop is noticed quickly.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from moderation.exceptions import WebhookDeliveryError
from moderation.queue import WEBHOOK_QUEUE, get_queue
from workers.delivery import site_of
from workers.lanes import BOUNCE_SECONDS, SiteLanes

logger = logging.getLogger(__name__)

# Seconds a delivery thread blocks on Redis waiting for work before it looks at ``stop``.
POLL_SECONDS = 5


class DeliveryWorker(SimpleWorker):
    """An RQ worker that can run in a thread that is not the main one, and keeps each site in
    its lane (``workers.lanes``) when ``lanes`` is set."""

    death_penalty_class = TimerDeathPenalty
    lanes: SiteLanes | None = None

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Send the delivery if its site's lane has room; else put it back on the schedule."""
        site_id = site_of(int(job.args[0])) if self.lanes is not None and job.args else None
        if site_id is None or self.lanes is None:
            super().execute_job(job, queue)
            return
        if not self.lanes.acquire(site_id, job.id):
            self.bounce(job, queue)
            return
        try:
            super().execute_job(job, queue)
        finally:
            self.lanes.release(site_id, job.id)

    def bounce(self, job: Job, queue: Queue) -> None:
        """Schedule ``job`` again in ``BOUNCE_SECONDS``, untouched: no attempt, no retry spent.

        RQ moved it to the queue's intermediate list when it was dequeued; it leaves that list
        in the same transaction, so RQ's clean-up never finds it there and enqueues it twice.
        """
        with self.connection.pipeline() as pipeline:
            pipeline.lrem(queue.intermediate_queue_key, 1, job.id)
            queue.schedule_job(
                job, datetime.now(UTC) + timedelta(seconds=BOUNCE_SECONDS), pipeline=pipeline
            )
            pipeline.execute()
        logger.debug("delivery job %s waits: its site's lane is full", job.id)

    def _install_signal_handlers(self) -> None:
        """Signals go to the main thread, whose worker stops this one (see ``DeliveryPool``)."""

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """A receiver that failed is one log line (``delivery.deliver`` wrote it, with the
        reason), not RQ's traceback of our own raise: a down receiver would fill the log with
        tracebacks, one per attempt. Anything else is logged by RQ as before."""
        if isinstance(exc_info[1], WebhookDeliveryError):
            call_exception_handlers(self._exc_handlers, job, *exc_info)
            return
        super().handle_exception(job, *exc_info)


class DeliveryPool:
    """``size`` threads serving the webhook queue until ``stop``."""

    def __init__(self, redis_url: str, size: int, per_site: int = 0) -> None:
        self.redis_url = redis_url
        self.size = size
        # Deliveries of one site at once, across every worker (0: no lanes).
        self.per_site = per_site
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.workers: list[DeliveryWorker] = []

    def start(self) -> DeliveryPool:
        for number in range(max(1, self.size)):
            thread = threading.Thread(target=self._serve, name=f"delivery-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def _serve(self) -> None:
        """Run a delivery worker; start another after Redis comes back, until ``stop``."""
        connection = Redis.from_url(self.redis_url, health_check_interval=30)
        delay = 0.5
        while not self.stopping.is_set():
            worker = DeliveryWorker(
                [get_queue(connection, WEBHOOK_QUEUE)],
                connection=connection,
                serializer=JSONSerializer,
                worker_ttl=POLL_SECONDS + 15,
            )
            if self.per_site > 0:
                worker.lanes = SiteLanes(connection, self.per_site)
            self.workers.append(worker)
            try:
                worker.work(logging_level="WARNING")
                delay = 0.5
            except RedisError as error:
                logger.warning("delivery worker stopped without Redis: %s", error)
            if self.stopping.wait(delay):
                return
            delay = min(delay * 2, 5.0)

    def stop(self, timeout: float = 1.0) -> None:
        """Ask every thread to stop after its delivery in hand; wait ``timeout`` seconds at most.

        A delivery cut short by the process's exit was recorded as an attempt before it was sent,
        and the sweeper sends it again.
        """
        self.stopping.set()
        for worker in self.workers:
            worker._stop_requested = True
        for thread in self.threads:
            thread.join(timeout)
