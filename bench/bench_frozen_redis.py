"""Submit latency while Redis is frozen (SIGSTOP): short timeouts and the breaker keep it low.

The ``up`` layout (SQLite, the embedded redis-server, gunicorn with 2 processes and 4 threads,
rate limits on, counted in that Redis): submissions from 4 client threads while Redis answers,
then while its process is stopped with SIGSTOP (it accepts connections but never replies: the
worst kind of outage for a client), then after SIGCONT. Every submission must be 202; the
figures are per phase (p50, p99, max in ms) and the frozen p99 against the healthy one.

    .venv/bin/python bench/bench_frozen_redis.py [--requests 400] [--out bench/results/frozen.json]

Target (issue 9): frozen p99 under 200 ms.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    HOST,
    Backend,
    Child,
    _create_site,
    arguments,
    comment_bodies,
    free_port,
    percentile,
    running,
    wait_http,
    write_result,
)
from moderation.cli.embedded import EmbeddedRedis
from moderation.migrations import upgrade

CLIENTS = 4


def submit_all(url: str, key: str, bodies: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """POST every body from ``CLIENTS`` threads; (status, seconds) per request."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    shares = [bodies[n::CLIENTS] for n in range(CLIENTS)]

    def client(share: list[dict[str, Any]]) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {key}"}
        for body in share:
            start = time.perf_counter()
            answer = session.post(f"{url}/v1/comments", json=body, headers=headers, timeout=30)
            elapsed = time.perf_counter() - start
            with lock:
                results.append((answer.status_code, elapsed))

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def figures(results: list[tuple[int, float]]) -> dict[str, Any]:
    times = [seconds * 1000 for _, seconds in results]
    return {
        "requests": len(results),
        "not_202": sum(1 for status, _ in results if status != 202),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "max_ms": round(max(times), 1),
    }


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--requests", type=int, default=400, help="submissions per phase")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-frozen-", dir="/tmp") as tmp:
        state_dir = Path(tmp)
        with EmbeddedRedis(state_dir / "redis") as redis_server:
            database_url = f"sqlite:///{state_dir / 'moderation.db'}"
            upgrade(database_url)
            backend = Backend("sqlite", database_url, redis_server.url, state_dir)
            backend.submit_key = _create_site(database_url)
            overrides = {
                "MODERATION_RATE_LIMIT_ENABLED": "true",
                "MODERATION_RATE_LIMIT_SUBMIT": "1000000 per minute",
                "MODERATION_RATE_LIMIT_DEFAULT": "1000000 per minute",
                "MODERATION_RATE_LIMIT_KEY": "1000000 per minute",
            }
            port = free_port()
            url = f"http://{HOST}:{port}"
            argv = [sys.executable, "-m", "moderation", "serve", "--host", HOST]
            argv += ["--port", str(port), "--workers", "2", "--threads", "4"]
            api = Child(argv, state_dir / "logs" / "api.log", backend.env(**overrides))
            with running(wait_http(api, f"{url}/healthz")):
                bodies = comment_bodies(3 * options.requests)
                healthy = submit_all(url, backend.submit_key, bodies[: options.requests])
                assert redis_server.process is not None
                os.kill(redis_server.process.pid, signal.SIGSTOP)
                try:
                    frozen = submit_all(
                        url, backend.submit_key, bodies[options.requests : 2 * options.requests]
                    )
                finally:
                    os.kill(redis_server.process.pid, signal.SIGCONT)
                time.sleep(6)  # past the breaker's period: enqueues go to Redis again
                after = submit_all(url, backend.submit_key, bodies[2 * options.requests :])
    result = {
        "benchmark": "frozen_redis",
        "layout": "up (sqlite, embedded redis, gunicorn 2x4, rate limits on)",
        "healthy": figures(healthy),
        "frozen": figures(frozen),
        "after_sigcont": figures(after),
    }
    result["frozen_p99_over_healthy_p99"] = round(
        result["frozen"]["p99_ms"] / result["healthy"]["p99_ms"], 2
    )
    write_result(options.out, result)


if __name__ == "__main__":
    main()
