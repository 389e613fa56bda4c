"""Submit-to-verdict latency at a fixed offered rate (open loop): p50 and p99.

The API (``moderation serve``) and one or more workers (``moderation worker``, real models) run on a
backend. The client sends ``--rate`` comments a second for ``--duration`` seconds on a fixed
schedule, each on its own task, never waiting for an answer before the next send (a slow server
cannot slow the schedule down: no coordinated omission). Latency is counted from the *scheduled*
send time, so any lag of the client itself counts against the service, not for it.

When is the verdict in? Two clocks, both read without adding load:

- the worker publishes on ``moderation:verdict:<id>`` right after it commits the verdict (the
  ``?wait=`` channel); the benchmark listens with one pattern subscription, so each verdict costs
  the system one PUBLISH it sends anyway. Receipt time ≥ commit time: the primary figure.
- ``decided_at`` in the database, stamped in the verdict's transaction just before its commit, read
  once after the run: a lower bound and a cross-check for verdicts whose message was lost.

Polling ``GET /v1/comments/<id>`` was rejected: to resolve a few milliseconds it would add hundreds
of requests a second to the API under test. Client and server share this machine's clock.

    .venv/bin/python bench/bench_latency.py --backend sqlite --rate 100 --duration 30 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis import Redis
from sqlalchemy import select

from bench import common
from moderation.queue import SCORE_QUEUE, verdict_channel
from moderation.storage import Comment
from tests.system.processes import Worker

TARGET_P99_MS = 100.0
CHANNEL_PATTERN = verdict_channel("*")
CHANNEL_PREFIX = verdict_channel("")


class VerdictListener(threading.Thread):
    """Records when each comment's verdict announcement arrives (time.time())."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(name="verdicts", daemon=True)
        self.pubsub = Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(CHANNEL_PATTERN)
        self.pubsub.get_message(timeout=1)  # the subscription's confirmation
        self.arrived: dict[str, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message is not None:
                channel = message["channel"].decode()
                self.arrived.setdefault(channel.removeprefix(CHANNEL_PREFIX), time.time())

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=2)
        self.pubsub.close()


class Client:
    """A minimal HTTP/1.1 client over keep-alive connections, opened as the schedule needs them."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.key = key
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer, since = self.idle.pop()
            # gunicorn closes idle keep-alive connections after 2 s; do not race it.
            if time.monotonic() - since < 1.0 and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(common.HOST, self.port)

    async def post(self, body: bytes) -> tuple[int, dict[str, Any]]:
        status, payload = await self.exchange("/v1/comments", "application/json", body)
        return status, json.loads(payload or b"{}")

    async def exchange(self, path: str, content_type: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` to ``path`` with the key; the status and the raw answer."""
        reader, writer = await self.connection()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {common.HOST}:{self.port}\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        payload = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return int(status_line.split()[1]), payload


async def offer(port: int, key: str, rate: float, seconds: float) -> list[dict[str, Any]]:
    """Send ``rate`` comments a second for ``seconds`` on a fixed schedule; one record each."""
    client = Client(port, key)
    bodies = [json.dumps(b).encode() for b in common.comment_bodies(1000)]
    records: list[dict[str, Any]] = []

    async def send(number: int, scheduled: float) -> None:
        record: dict[str, Any] = {"scheduled": scheduled, "sent": time.time()}
        try:
            status, answer = await client.post(bodies[number % len(bodies)])
            record.update(status=status, id=answer.get("id"))
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            record.update(status=None, error=f"{type(error).__name__}: {error}")
        record["answered"] = time.time()
        records.append(record)

    await on_schedule(send, rate, seconds)
    return records


async def on_schedule(
    send: Callable[[int, float], Awaitable[None]], rate: float, seconds: float
) -> None:
    """Call ``send(number, scheduled_wall_time)`` ``rate`` times a second for ``seconds``.

    Open loop: each request starts at its scheduled time whether or not earlier ones answered,
    so a slow server shows as latency, not as a lower offered rate.
    """
    loop = asyncio.get_running_loop()
    start_wall, start = time.time() + 0.1, loop.time() + 0.1
    tasks = []
    for number in range(int(rate * seconds)):
        delay = start + number / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(number, start_wall + number / rate)))
    await asyncio.gather(*tasks)


def drained(connection: Redis, seconds: float) -> None:
    """Wait (up to ``seconds``) until the workers have taken every queued job."""
    deadline = time.monotonic() + seconds
    while connection.llen(f"rq:queue:{SCORE_QUEUE}") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)


def decided_at(backend: common.Backend, ids: list[str]) -> dict[str, float]:
    database = backend.database()
    found: dict[str, float] = {}
    try:
        with database.transaction() as session:
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    select(Comment.id, Comment.decided_at).where(
                        Comment.id.in_(ids[start : start + 500])
                    )
                )
                found.update({row.id: row.decided_at.timestamp() for row in rows if row.decided_at})
    finally:
        database.engine.dispose()  # type: ignore[union-attr]
    return found


def summary(values_ms: list[float], missing: int = 0) -> dict[str, float]:
    """p50, p99 and max; ``missing`` answers count as infinitely late (not as absent)."""
    values_ms = values_ms + [float("inf")] * missing
    return {
        "p50": common.percentile(values_ms, 0.50),
        "p99": common.percentile(values_ms, 0.99),
        "max": max(values_ms) if values_ms else float("nan"),
    }


def measure(kind: str, args: argparse.Namespace, log_dir: Path) -> list[dict[str, Any]]:
    """One result per offered rate, on one set of processes (the queue drained in between)."""
    results = []
    with common.backend(kind) as backend:
        port = common.free_port()
        api = common.start_api(backend, port, args.api_workers, args.threads, log_dir)
        workers = [
            common.start_worker(backend, log_dir, models_dir=args.models_dir)
            for _ in range(args.workers)
        ]
        with common.running(api, *workers):
            for worker in workers:  # listening once RQ lists it: the models are loaded
                Worker(worker, backend.redis_url).wait(timeout=120)
            asyncio.run(offer(port, backend.submit_key, 20, 2))  # warm-up: pools, caches
            for rate in args.rate or [100.0]:
                drained(backend.redis(), 120)
                listener = VerdictListener(backend.redis_url)
                listener.start()
                records = asyncio.run(offer(port, backend.submit_key, rate, args.duration))
                ids = [r["id"] for r in records if r.get("status") == 202 and r.get("id")]
                deadline = time.monotonic() + args.drain
                while set(ids) - set(listener.arrived) and time.monotonic() < deadline:
                    time.sleep(0.1)
                listener.stop()
                committed = decided_at(backend, ids)
                results.append(report(kind, rate, args, records, listener.arrived, committed))
    return results


def report(
    kind: str,
    rate: float,
    args: argparse.Namespace,
    records: list[dict[str, Any]],
    arrived: dict[str, float],
    committed: dict[str, float],
) -> dict[str, Any]:
    accepted = [r for r in records if r.get("status") == 202 and r.get("id")]
    by_id = {r["id"]: r for r in accepted}
    announced = [1000 * (arrived[i] - by_id[i]["scheduled"]) for i in by_id if i in arrived]
    stamped = [1000 * (committed[i] - by_id[i]["scheduled"]) for i in by_id if i in committed]
    result = {
        "backend": kind,
        "offered_per_s": rate,
        "seconds": args.duration,
        "workers": args.workers,
        "sent": len(records),
        "accepted": len(accepted),
        "errors": len(records) - len(accepted),
        "error_examples": sorted(
            {r.get("error") or str(r.get("status")) for r in records if r not in accepted}
        )[:5],
        "no_verdict": len(accepted) - len(committed),
        "verdict_announced_ms": summary(announced, len(accepted) - len(announced)),
        "verdict_committed_ms": summary(stamped, len(accepted) - len(stamped)),
        "answer_ms": summary([1000 * (r["answered"] - r["scheduled"]) for r in accepted]),
        "client_lag_ms": summary([1000 * (r["sent"] - r["scheduled"]) for r in records]),
        "target_p99_ms": TARGET_P99_MS,
    }
    result["met"] = (
        result["verdict_announced_ms"]["p99"] <= TARGET_P99_MS and not result["no_verdict"]
    )
    print(
        f"{kind} at {rate:g}/s: p50 {result['verdict_announced_ms']['p50']:.1f} ms, "
        f"p99 {result['verdict_announced_ms']['p99']:.1f} ms ({len(accepted)} accepted)",
        file=sys.stderr,
    )
    return result


def main() -> None:
    parser = common.arguments(__doc__)
    parser.add_argument(
        "--rate", type=float, action="append", help="comments offered a second (default 100)"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of offered load")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--api-workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for verdicts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        results = [r for kind in args.backend or ["sqlite"] for r in measure(kind, args, Path(tmp))]
    common.write_result(args.out, {"benchmark": "latency", "results": results})


if __name__ == "__main__":
    main()
