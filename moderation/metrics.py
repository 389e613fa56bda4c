"""Prometheus metrics of the API and the workers, and the exposition ``/metrics`` serves.

Under ``moderation up`` and ``moderation serve`` every process (each gunicorn process, each
worker) writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode) and ``/metrics`` adds them up, so one scrape shows the whole service on this
host. Without that variable (the tests, a single process) the samples live in the process. What is
a state rather than an event (comments by status, queue depths, the oldest job's age) is read from
the database and Redis at scrape time. This module imports neither Flask nor the workers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job

if TYPE_CHECKING:
    from flask import Flask, Response

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The submission endpoint whose answers ``moderation_submissions_total`` counts.
SUBMIT_RULE = ("POST", "/v1/comments")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Jobs take milliseconds; a slow database or webhook receiver takes seconds.
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
MODEL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)

SUBMISSIONS = Counter(
    "moderation_submissions",
    "POST /v1/comments answers, by site (none before the key is known) and status code.",
    ["site", "code"],
)
VERDICTS = Counter("moderation_verdicts", "Automatic verdicts recorded, by status.", ["status"])
VERDICT_REASONS = Counter(
    "moderation_verdict_reasons",
    "Reasons of automatic verdicts (a verdict with two reasons counts for each), by status.",
    ["status", "reason"],
)
JOB_SECONDS = Histogram(
    "moderation_job_duration_seconds",
    "Wall time of worker jobs, by job function and outcome (ok or error).",
    ["job", "outcome"],
    buckets=JOB_BUCKETS,
)
MODEL_SECONDS = Histogram(
    "moderation_model_duration_seconds",
    "Time inside the models for one comment: score, or explain.",
    ["operation"],
    buckets=MODEL_BUCKETS,
)
WEBHOOK_FAILURES = Counter(
    "moderation_webhook_failures",
    "Webhook delivery attempts without a 2xx answer; final=yes when the delivery gave up.",
    ["final"],
)
SWEEPER_REENQUEUED = Counter(
    "moderation_sweeper_reenqueued",
    "Jobs the sweeper enqueued again because Redis had lost them, by kind.",
    ["kind"],
)


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


def prepare_multiprocess_directory(state_dir: str | Path) -> Path:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` for this process and its children, emptied; the folder.

    Called by ``up`` (before it starts anything) and by ``serve`` when nothing set it: the files
    of an earlier run would otherwise add their counts to this one's. A state folder that cannot
    be written (a read-only container) falls back to a private temporary folder.
    """
    directory = Path(state_dir) / "metrics"
    try:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True, mode=0o700)
    except OSError:
        directory = Path(tempfile.mkdtemp(prefix="moderation-metrics-"))
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
    return directory


def record_verdict(status: str, reasons: Iterable[str]) -> None:
    """Count one automatic verdict and each of its reasons."""
    VERDICTS.labels(status).inc()
    for reason in reasons:
        VERDICT_REASONS.labels(status, reason).inc()


def queue_families(connection: Redis | None, queue_names: Iterable[str]) -> list[Metric]:
    """Jobs waiting in each queue and the age of the oldest; nothing if Redis does not answer."""
    depth = GaugeMetricFamily(
        "moderation_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"]
    )
    age = GaugeMetricFamily(
        "moderation_queue_oldest_job_age_seconds",
        "Seconds since the oldest job still waiting in each queue was enqueued (0 if none).",
        labels=["queue"],
    )
    if connection is None:
        return []
    now = datetime.now(UTC)
    try:
        for name in queue_names:
            key = f"rq:queue:{name}"
            depth.add_metric([name], connection.llen(key))
            age.add_metric([name], oldest_age(connection, key, now))
    except RedisError:
        return []
    return [depth, age]


def as_text(value: bytes | str) -> str:
    """A Redis answer as text, whether the connection decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else value


def oldest_age(connection: Redis, queue_key: str, now: datetime) -> float:
    """Seconds since the job at the head of the queue was enqueued; 0 for an empty queue."""
    head = connection.lindex(queue_key, 0)
    if head is None:
        return 0.0
    raw = connection.hget(Job.key_for(as_text(head)), "enqueued_at")
    if not raw:
        return 0.0
    enqueued = datetime.fromisoformat(as_text(raw).replace("Z", "+00:00"))
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return max(0.0, (now - enqueued).total_seconds())


def comment_family(counts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(
        "moderation_comments", "Comments stored, by status.", labels=["status"]
    )
    for status, count in counts.items():
        family.add_metric([status], count)
    return family


class _Fixed:
    """A collector of metric families computed for one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


class _ProcessSamples:
    """This process's own samples, when there is no multiprocess folder to read."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(families: list[Metric]) -> bytes:
    """The text of one scrape: every process's samples, plus ``families`` read just now."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_directory()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ProcessSamples())
    registry.register(_Fixed(families))
    return generate_latest(registry)


def scrape_families(
    session: Any, connection: Redis | None, queue_names: Iterable[str]
) -> list[Metric]:
    """What ``/metrics`` reads at scrape time: comments by status and the queues."""
    from sqlalchemy import func, select

    from moderation.storage import Comment, CommentStatus

    counts = dict(
        session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
    )
    by_status = {str(status): int(counts.get(status, 0)) for status in CommentStatus}
    return [comment_family(by_status), *queue_families(connection, queue_names)]


def loaded_site_name(key: Any) -> str:
    """The key's site name if the key query loaded it, else ``none``; never a query.

    Called after the view: on a database outage the session is unusable, and a lazy load here
    would turn the view's 503 into a 500.
    """
    if key is None:
        return "none"
    from sqlalchemy import inspect

    site = inspect(key).attrs.site.loaded_value
    name = getattr(site, "__dict__", {}).get("name")
    return name if isinstance(name, str) else "none"


def init_app(app: Flask) -> None:
    """Count every answer to ``POST /v1/comments`` by site and status code.

    The site is the key's; a request refused before its key is known (no key, 429) counts as
    site ``none``.
    """
    from flask import g, request

    def count(response: Response) -> Response:
        rule = request.url_rule
        if rule is not None and (request.method, rule.rule) == SUBMIT_RULE:
            SUBMISSIONS.labels(loaded_site_name(g.get("api_key")), str(response.status_code)).inc()
        return response

    app.after_request(count)
