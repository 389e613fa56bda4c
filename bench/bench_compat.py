"""Latency of the synchronous drop-in calls at a fixed offered rate (open loop): p50, p99, max.

The API (``moderation serve``) and workers (``moderation worker``, real models) run on a backend;
the client sends ``--rate`` requests a second for ``--duration`` seconds on a fixed schedule, each
on its own task, never waiting for an answer before the next send (no coordinated omission), and
counts latency from the *scheduled* send time to the end of the answer. These calls answer only
with the verdict, so the answer time is the submit-to-verdict time a site sees. Three kinds:

- ``analyze``: Perspective ``comments:analyze`` as Coral sends it (``doNotStore: true``: scored
  through the transient job, no row);
- ``analyze-stored``: the same without ``doNotStore`` (stored, policy, audit log, like ``/v1``);
- ``check``: Akismet ``comment-check``, form-encoded, stored like ``/v1``;
- ``v1-wait``: ``POST /v1/comments?wait=5000``, the same path as ``/v1`` sites use it
  synchronously: the yardstick for the others on a busy machine (report the ratios).

    .venv/bin/python bench/bench_compat.py --backend sqlite --backend postgresql --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, update
from sqlalchemy import text as sql

from bench import common
from bench.bench_latency import Client, on_schedule
from moderation.keys import create_key
from moderation.queue import SCORE_QUEUE
from moderation.storage import Role, Site
from tests.system.processes import Worker

TARGET_P99_MS = 100.0
KINDS = ("analyze", "analyze-stored", "check", "v1-wait")
BLOG = "https://bench.example"


def requests_for(kind: str, keys: dict[str, str], texts: list[str]) -> list[tuple[str, str, bytes]]:
    """(path, content type, body) for each text."""
    made = []
    for number, text in enumerate(texts):
        if kind == "v1-wait":
            body = json.dumps({"name": f"reader {number}", "text": text}).encode()
            made.append(("/v1/comments?wait=5000", "application/json", body))
            continue
        if kind == "check":
            form = {
                "api_key": keys["akismet"],
                "blog": BLOG,
                "user_ip": f"203.0.113.{number % 250}",
                "user_agent": "Mozilla/5.0",
                "comment_type": "comment",
                "comment_author": f"reader {number}",
                "comment_content": text,
            }
            body = urllib.parse.urlencode(form).encode()
            made.append(("/1.1/comment-check", "application/x-www-form-urlencoded", body))
            continue
        request = {
            "comment": {"text": text[:5000]},
            "doNotStore": kind == "analyze",
            "requestedAttributes": {"TOXICITY": {}},
            "languages": ["en"],
        }
        path = f"/v1alpha1/comments:analyze?key={keys['submit']}"
        made.append((path, "application/json", json.dumps(request).encode()))
    return made


async def offer(
    port: int, key: str, requests: list[tuple[str, str, bytes]], rate: float, seconds: float
) -> list[dict[str, Any]]:
    client = Client(port, key)  # bench_latency's keep-alive client
    records: list[dict[str, Any]] = []

    async def send(number: int, scheduled: float) -> None:
        path, content_type, body = requests[number % len(requests)]
        record: dict[str, Any] = {"scheduled": scheduled}
        try:
            record["status"], _ = await client.exchange(path, content_type, body)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            record.update(status=None, error=f"{type(error).__name__}: {error}")
        record["answered"] = time.time()
        records.append(record)

    await on_schedule(send, rate, seconds)
    return records


def drained(backend: common.Backend, seconds: float = 180.0) -> None:
    """Wait until the workers have taken every queued job, so no kind pays for the previous one."""
    connection = backend.redis()
    deadline = time.monotonic() + seconds
    while connection.llen(f"rq:queue:{SCORE_QUEUE}") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)


def compat_keys(backend: common.Backend) -> dict[str, str]:
    """The site's submit key, a new Akismet key, and the origin the Akismet calls name."""
    database = backend.database()
    try:
        with database.transaction() as session:
            site = session.scalar(select(Site).where(Site.name == "bench"))
            session.execute(update(Site).where(Site.id == site.id).values(origins=[BLOG]))
            _, akismet_key = create_key(session, Role.AKISMET, site)
    finally:
        database.engine.dispose()  # type: ignore[union-attr]
    return {"submit": backend.submit_key, "akismet": akismet_key}


def set_synchronous_commit(backend: common.Backend, value: str) -> None:
    """PostgreSQL only: ``synchronous_commit`` for every later session of the bench database.

    ``off`` lets a commit return before its WAL reaches the disk (a crash may lose the last
    fraction of a second of commits, never corrupt): how much of the tail is fsync per commit.
    """
    if backend.kind != "postgresql" or value == "on":
        return
    engine = create_engine(
        backend.database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    name = backend.database_url.rsplit("/", 1)[1]
    with engine.connect() as connection:
        connection.execute(sql(f'ALTER DATABASE "{name}" SET synchronous_commit = {value}'))
    engine.dispose()


def report(
    kind: str, backend: str, rate: float, records: list[dict[str, Any]], synchronous_commit: str
) -> dict[str, Any]:
    answered = [r for r in records if r.get("status") in (200, 204)]
    latencies = [1000 * (r["answered"] - r["scheduled"]) for r in answered]
    failed = len(records) - len(answered)
    # A failed call counts as infinitely late: it is a miss for the site, not an absence.
    values = latencies + [float("inf")] * failed
    result = {
        "backend": backend,
        "kind": kind,
        "synchronous_commit": synchronous_commit,
        "offered_per_s": rate,
        "sent": len(records),
        "answered_200": len(answered),
        "failed": failed,
        "failure_examples": sorted(
            {r.get("error") or str(r.get("status")) for r in records if r not in answered}
        )[:5],
        "answer_ms": {
            "p50": common.percentile(values, 0.5),
            "p99": common.percentile(values, 0.99),
            "max": max(values) if values else float("nan"),
        },
        "target_p99_ms": TARGET_P99_MS,
    }
    result["met"] = result["answer_ms"]["p99"] <= TARGET_P99_MS
    print(
        f"{backend} {kind} at {rate:g}/s: p50 {result['answer_ms']['p50']:.1f} ms, "
        f"p99 {result['answer_ms']['p99']:.1f} ms, {failed} failed",
        file=sys.stderr,
    )
    return result


def measure(backend_kind: str, args: argparse.Namespace, log_dir: Path) -> list[dict[str, Any]]:
    results = []
    texts = common.sample_texts()
    with common.backend(backend_kind) as backend:
        keys = compat_keys(backend)
        set_synchronous_commit(backend, args.synchronous_commit)
        port = common.free_port()
        api = common.start_api(backend, port, args.api_workers, args.threads, log_dir)
        workers = [
            common.start_worker(backend, log_dir, models_dir=args.models_dir)
            for _ in range(args.workers)
        ]
        with common.running(api, *workers):
            for worker in workers:
                Worker(worker, backend.redis_url).wait(timeout=120)
            for kind in args.kind or list(KINDS):
                requests = requests_for(kind, keys, texts[:1000])
                drained(backend)
                asyncio.run(offer(port, keys["submit"], requests, 20, 2))  # warm-up: pools, caches
                drained(backend)
                records = asyncio.run(
                    offer(port, keys["submit"], requests, args.rate, args.duration)
                )
                results.append(
                    report(kind, backend_kind, args.rate, records, args.synchronous_commit)
                )
    return results


def main() -> None:
    parser = common.arguments(__doc__)
    parser.add_argument("--kind", action="append", choices=KINDS, help="default: all three")
    parser.add_argument("--rate", type=float, default=50.0, help="requests offered a second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of offered load")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers (as up)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads (as up)")
    parser.add_argument(
        "--synchronous-commit", choices=("on", "off"), default="on", help="PostgreSQL only"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-compat-") as tmp:
        results = [r for kind in args.backend or ["sqlite"] for r in measure(kind, args, Path(tmp))]
    common.write_result(args.out, {"benchmark": "compat", "results": results})


if __name__ == "__main__":
    main()
