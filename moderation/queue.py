"""Every enqueue (by dotted path), the job ids, the retry schedules, and the sweepers.

Redis carries only ids; the database is the source of truth. Every job goes through ``enqueue``,
which forgives a Redis that cannot take it (down, a network blip): the failure is logged, the row
stays ``pending`` in the database, and a sweeper enqueues it again once it is older than
``SWEEP_AFTER_SECONDS`` (``sweep`` for comments, ``sweep_deliveries`` for webhook deliveries).
The web process imports this module but never ``workers``: jobs are named by their dotted path.
"""

from __future__ import annotations

import logging
import time
import weakref
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import logs, metrics
from moderation.storage import (
    Comment,
    CommentStatus,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    utcnow,
)

logger = logging.getLogger(__name__)

SCORE_QUEUE = "score"
WEBHOOK_QUEUE = "webhooks"
EXPLAIN_QUEUE = "explain"
# What a worker listens to, first queue first: verdicts before webhooks before explanations.
WORKER_QUEUES = (SCORE_QUEUE, WEBHOOK_QUEUE, EXPLAIN_QUEUE)
SCORE_JOB = "workers.jobs.score_comment"
EXPLAIN_JOB = "workers.jobs.explain_comment"
DELIVER_JOB = "workers.jobs.deliver_webhook"
# Back-off between retries of a failed scoring job, in seconds.
SCORE_RETRY_INTERVALS = [1, 5, 15]
# Seconds between delivery attempts: 7 attempts over about 8.5 hours, as receivers come back.
WEBHOOK_RETRY_INTERVALS = [10, 60, 300, 1800, 7200, 21600]
# The error a delivery's log shows for an attempt recorded before its request went out, until its
# answer replaces it; still there after this many seconds, the attempt died with its worker.
ATTEMPT_IN_PROGRESS = "no answer yet: the attempt is in progress, or was cut short"
ATTEMPT_CUT_SHORT_SECONDS = 60
# How long Redis keeps a job that failed for good (for a look with `rq info`), in seconds.
FAILURE_TTL = 7 * 24 * 3600


# The API's Redis client (moderation.create_app): an enqueue takes about a millisecond, so a Redis
# that has not answered in this long is hung (stopped, swapping, partitioned); the comment is
# committed already and the sweeper enqueues it once Redis is back.
API_TIMEOUT_SECONDS = 0.15
# After a failure, enqueues skip Redis this long (the breaker is open): a hung Redis costs one
# timeout per process and period, not one per request.
BREAKER_SECONDS = 5.0


def connect(url: str, timeout: float = 5.0) -> Redis:
    """A Redis client with short timeouts, so an outage fails fast instead of hanging a request."""
    return Redis.from_url(
        url,
        socket_connect_timeout=min(1.0, timeout),
        socket_timeout=timeout,
        health_check_interval=30,
    )


class Breaker:
    """Skip a Redis that just failed, for ``BREAKER_SECONDS`` (one per client object)."""

    def __init__(self, seconds: float = BREAKER_SECONDS) -> None:
        self.seconds = seconds
        self.open_until = 0.0

    @property
    def open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + self.seconds


_breakers: weakref.WeakKeyDictionary[Redis, Breaker] = weakref.WeakKeyDictionary()


def breaker(connection: Redis) -> Breaker:
    """The breaker of ``connection``: each app and worker has its own client, hence its own."""
    found = _breakers.get(connection)
    if found is None:
        found = _breakers.setdefault(connection, Breaker())
    return found


def get_queue(connection: Redis, name: str = SCORE_QUEUE) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def enqueue(
    connection: Redis,
    queue: str,
    job: str,
    argument: str | int,
    *,
    job_id: str,
    retry_intervals: list[int] | None = None,
    failure_ttl: int = FAILURE_TTL,
    then: str = "the sweeper will",
) -> bool:
    """Enqueue ``job(argument)`` by dotted path; False (and a log line) if Redis cannot take it.

    ``then`` says in the log line what happens to the work instead. While the connection's
    breaker is open (Redis failed less than ``BREAKER_SECONDS`` ago) Redis is not even tried.
    """
    if breaker(connection).open:
        logger.info("skipped enqueueing %s while Redis recovers, %s", job_id, then)
        return False
    retry = (
        Retry(max=len(retry_intervals), interval=list(retry_intervals)) if retry_intervals else None
    )
    try:
        # One MULTI/EXEC round trip: without a pipeline of ours, RQ sends two.
        with connection.pipeline() as pipeline:
            get_queue(connection, queue).enqueue(
                job,
                argument,
                job_id=job_id,
                retry=retry,
                result_ttl=0,
                failure_ttl=failure_ttl,
                # The request id in effect, so the job's log lines carry it (moderation.logs).
                meta=logs.job_meta(),
                pipeline=pipeline,
            )
            pipeline.execute()
    except RedisError as error:
        breaker(connection).trip()
        logger.warning("could not enqueue %s, %s: %s", job_id, then, error)
        return False
    return True


def enqueue_score(connection: Redis, comment_id: str) -> bool:
    """Ask a worker to score a comment (retried with back-off if the job fails)."""
    return enqueue(
        connection,
        SCORE_QUEUE,
        SCORE_JOB,
        comment_id,
        job_id=score_job_id(comment_id),
        retry_intervals=SCORE_RETRY_INTERVALS,
    )


def enqueue_explain(connection: Redis, comment_id: str) -> bool:
    """Ask a worker to explain a decided comment, when the scoring queue is empty (best effort)."""
    return enqueue(
        connection,
        EXPLAIN_QUEUE,
        EXPLAIN_JOB,
        comment_id,
        job_id=f"explain-{comment_id}",
        failure_ttl=3600,
        then="it stays unexplained",
    )


def enqueue_delivery(connection: Redis, delivery_id: int) -> bool:
    """Ask a worker to deliver a webhook event (retried over hours if the receiver fails)."""
    return enqueue(
        connection,
        WEBHOOK_QUEUE,
        DELIVER_JOB,
        delivery_id,
        job_id=delivery_job_id(delivery_id),
        retry_intervals=WEBHOOK_RETRY_INTERVALS,
    )


def delivery_job_id(delivery_id: int) -> str:
    return f"webhook-{delivery_id}"


def score_job_id(comment_id: str) -> str:
    return f"score-{comment_id}"


def still_waiting(connection: Redis, comment_ids: list[str]) -> set[str]:
    """The comments whose scoring job waits in Redis: in the queue, or scheduled for a retry.

    Those need no new job: one is coming. A job a dead worker took, even one whose status still
    says queued, is in neither place, nor is one Redis lost; both are enqueued again. The queue is
    read once per sweep, not once per comment.
    """
    waiting = waiting_job_ids(connection, SCORE_QUEUE)
    return {comment_id for comment_id in comment_ids if score_job_id(comment_id) in waiting}


def waiting_job_ids(connection: Redis, name: str) -> set[str]:
    """The ids of the jobs of queue ``name`` that wait in Redis: queued or scheduled to retry."""
    queue = get_queue(connection, name)
    return set(queue.get_job_ids()) | set(queue.scheduled_job_registry.get_job_ids())


def sweep(session: Session, connection: Redis, older_than_seconds: int, limit: int = 1000) -> int:
    """Re-enqueue comments still pending after ``older_than_seconds``; return how many.

    Comments whose job is still waiting in Redis are left alone, so a long backlog is not pushed
    again on every sweep. Scoring is idempotent, so a redundant job costs time, never a second
    verdict.
    """
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    ids = list(
        session.scalars(
            select(Comment.id)
            .where(Comment.status == CommentStatus.PENDING, Comment.created_at < cutoff)
            .order_by(Comment.created_at)
            .limit(limit)
        )
    )
    if not ids:
        return 0
    try:
        waiting = still_waiting(connection, ids)
    except RedisError as error:
        logger.warning("sweeper cannot reach Redis: %s", error)
        return 0
    lost = [comment_id for comment_id in ids if comment_id not in waiting]
    enqueued = sum(enqueue_score(connection, comment_id) for comment_id in lost)
    if lost:
        logger.info("sweeper re-enqueued %d of %d pending comments", enqueued, len(ids))
    return enqueued


def attempt_in_progress(log: list[dict[str, Any]], now: datetime) -> bool:
    """Whether a delivery's last logged attempt is still running (recorded before sending).

    Every attempt ends within its deadline (``workers.outbound``); one that has not answered after
    ``ATTEMPT_CUT_SHORT_SECONDS`` died with its worker and may be sent again.
    """
    last = log[-1] if log else None
    if last is None or last.get("error") != ATTEMPT_IN_PROGRESS:
        return False
    started = datetime.fromisoformat(last["at"])
    return now - started < timedelta(seconds=ATTEMPT_CUT_SHORT_SECONDS)


def sweep_deliveries(
    session: Session, connection: Redis, older_than_seconds: int, limit: int = 1000
) -> int:
    """Re-enqueue pending deliveries whose job Redis no longer holds; return how many.

    As for comments, a delivery whose job still waits in the queue or the retry schedule is left
    alone, so a backlog is not pushed again on every sweep; so is one whose attempt is running.
    Deliveries of a paused webhook are not swept (the job would skip them): they are once it is
    resumed. A delivery whose attempts are used up is marked failed by the job the sweep sends.
    """
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.log)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.created_at < cutoff,
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.created_at)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    try:
        waiting = waiting_job_ids(connection, WEBHOOK_QUEUE)
    except RedisError as error:
        logger.warning("sweeper cannot reach Redis: %s", error)
        return 0
    now = utcnow()
    lost = [
        delivery_id
        for delivery_id, log in rows
        if delivery_job_id(delivery_id) not in waiting and not attempt_in_progress(log, now)
    ]
    enqueued = sum(enqueue_delivery(connection, delivery_id) for delivery_id in lost)
    if lost:
        logger.info("sweeper re-enqueued %d of %d pending deliveries", enqueued, len(rows))
    return enqueued


def sweep_all(session: Session, connection: Redis, older_than_seconds: int) -> tuple[int, int]:
    """Both sweeps, as the workers and ``moderation sweep`` run them: (comments, deliveries)."""
    comments = sweep(session, connection, older_than_seconds)
    deliveries = sweep_deliveries(session, connection, older_than_seconds)
    metrics.SWEEPER_REENQUEUED.labels("comments").inc(comments)
    metrics.SWEEPER_REENQUEUED.labels("deliveries").inc(deliveries)
    return comments, deliveries


def verdict_channel(comment_id: str) -> str:
    """The pub/sub channel a worker announces a comment's verdict on (for ``?wait=``)."""
    return f"moderation:verdict:{comment_id}"
