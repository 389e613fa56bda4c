"""Comments scored per second by one worker process, next to RQ running no-op jobs.

For each round the queue is pre-filled with N jobs and one worker drains it in burst mode:

- scoring: N pending comments inserted in the database and enqueued as the API enqueues them
  (``moderation.queue.enqueue_score``), drained by ``python -m moderation worker --burst`` (models
  loaded once, then RQ's SimpleWorker, the JSON serializer);
- no-op: N jobs of ``bench.bench_worker.noop`` with the same options (job id, retry, TTLs) on the
  same queue, drained by the same SimpleWorker set-up with nothing to do in the job.

The drain is timed from outside the same way for both: from the moment the queue first holds
fewer than N jobs (the first job was taken) to the moment it is empty (the last one was taken),
polled every 5 ms: N - 1 whole jobs. Model loading and process start-up are outside the window.
Rounds alternate, so machine noise hits both alike; the figure is the ratio of the medians.

    .venv/bin/python bench/bench_worker.py --backend sqlite --backend postgresql
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis import Redis
from rq import Retry, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from bench import common
from moderation.queue import (
    SCORE_QUEUE,
    SCORE_RETRY_INTERVALS,
    WORKER_QUEUES,
    enqueue_score,
    get_queue,
)
from moderation.storage import Comment, CommentStatus, Site

TARGET = 0.70
POLL_SECONDS = 0.005
NOOP_JOB = "bench.bench_worker.noop"


def noop(comment_id: str) -> None:
    """The no-op job: RQ's own cost per job, with nothing to do."""


def run_noop_worker(redis_url: str) -> None:
    """What ``workers.worker.run`` does, minus the models: SimpleWorker, JSON, burst."""
    connection = Redis.from_url(redis_url, health_check_interval=30)
    queues = [get_queue(connection, name) for name in WORKER_QUEUES]
    worker = SimpleWorker(queues, connection=connection, serializer=JSONSerializer)
    worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def fill_comments(backend: common.Backend, count: int) -> None:
    """``count`` pending comments, committed, then enqueued for scoring."""
    texts = common.comment_bodies(count)
    database = backend.database()
    try:
        with database.transaction() as session:
            site = session.scalar(select(Site).where(Site.name == "bench"))
            comments = [
                Comment(site=site, name=b["name"], text=b["text"], email=b["email"]) for b in texts
            ]
            session.add_all(comments)
            session.flush()
            ids = [c.id for c in comments]
    finally:
        database.engine.dispose()  # type: ignore[union-attr]
    connection = backend.redis()
    for comment_id in ids:
        enqueue_score(connection, comment_id)


def fill_noop(backend: common.Backend, count: int, round_number: int) -> None:
    queue = get_queue(backend.redis())
    for number in range(count):
        queue.enqueue(
            NOOP_JOB,
            f"noop-{round_number}-{number}",
            job_id=f"noop-{round_number}-{number}",
            retry=Retry(max=len(SCORE_RETRY_INTERVALS), interval=SCORE_RETRY_INTERVALS),
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
        )


def time_drain(backend: common.Backend, worker: common.Child, count: int) -> tuple[float, float]:
    """Seconds from the first job taken to the last, and the worker's CPU seconds meanwhile."""
    connection = backend.redis()
    key = f"rq:queue:{SCORE_QUEUE}"
    first = first_cpu = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        left = connection.llen(key)
        now, cpu = time.perf_counter(), common.cpu_seconds([worker.pid])
        if first is None and left < count:
            first, first_cpu = now, cpu
        if first is not None and first_cpu is not None and left == 0:
            worker.popen.wait(timeout=120)
            return now - first, cpu - first_cpu
        if not worker.alive and left:
            raise RuntimeError(
                f"the worker exited with {left} jobs left\n{common.log_tail(worker.log)}"
            )
        time.sleep(POLL_SECONDS)
    raise RuntimeError("the queue did not drain in 600 s")


def one_round(
    backend: common.Backend,
    kind: str,
    count: int,
    number: int,
    args: argparse.Namespace,
    log_dir: Path,
) -> tuple[float, float]:
    """Jobs a second, and the worker's CPU milliseconds a job (steady whatever the machine does)."""
    common.flush_queue(backend)
    if kind == "scoring":
        fill_comments(backend, count)
        worker = common.start_worker(backend, log_dir, "--burst", models_dir=args.models_dir)
    else:
        fill_noop(backend, count, number)
        argv = [sys.executable, __file__, "--noop-worker", backend.redis_url]
        worker = common.Child(argv, log_dir / f"noop-{backend.kind}-{number}.log", backend.env())
    with common.running(worker):
        seconds, cpu = time_drain(backend, worker, count)
    rate, cpu_ms = (count - 1) / seconds, 1000 * cpu / (count - 1)
    print(
        f"{backend.kind} round {number + 1} {kind}: {rate:.0f} jobs/s, {cpu_ms:.1f} ms CPU each",
        file=sys.stderr,
    )
    return rate, cpu_ms


def compare(kind: str, args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    rounds: list[dict[str, float]] = []
    with common.backend(kind) as backend:
        for number in range(args.rounds):
            order = ["noop", "scoring"] if number % 2 == 0 else ["scoring", "noop"]
            runs = {k: one_round(backend, k, args.jobs, number, args, log_dir) for k in order}
            rates: dict[str, float] = {k: rate for k, (rate, _) in runs.items()}
            rates |= {f"{k}_cpu_ms": cpu for k, (_, cpu) in runs.items()}
            rates["ratio"] = rates["scoring"] / rates["noop"]
            rounds.append(rates)
        database = backend.database()
        with database.transaction() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(Comment)
                .where(Comment.status == CommentStatus.PENDING.value)
            )
        database.engine.dispose()  # type: ignore[union-attr]
        common.flush_queue(backend)
    noop_rate = common.median([r["noop"] for r in rounds])
    scoring_rate = common.median([r["scoring"] for r in rounds])
    cpu = {k: common.median([r[f"{k}_cpu_ms"] for r in rounds]) for k in ("noop", "scoring")}
    return {
        "backend": kind,
        "jobs_per_round": args.jobs,
        "noop_per_s": noop_rate,
        "scored_per_s": scoring_rate,
        "ratio": scoring_rate / noop_rate,
        "ratio_per_round": [r["ratio"] for r in rounds],
        "worker_cpu_ms_per_job": cpu,
        # What the rate ratio would be if both were bound by the worker's CPU alone.
        "cpu_ratio": cpu["noop"] / cpu["scoring"],
        "target": TARGET,
        "met": scoring_rate / noop_rate >= TARGET,
        "left_pending": pending,
        "rounds": rounds,
    }


def main() -> None:
    parser = common.arguments(__doc__)
    parser.add_argument("--jobs", type=int, default=1000, help="jobs per drain")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--noop-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.noop_worker:
        run_noop_worker(args.noop_worker)
        return
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        results = [compare(kind, args, Path(tmp)) for kind in args.backend or ["sqlite"]]
    common.write_result(args.out, {"benchmark": "worker", "results": results})


if __name__ == "__main__":
    main()
