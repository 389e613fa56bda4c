"""Coral's external phase under a burst, on the ``moderation up`` layout (issue 16, item 12).

Coral's admin form defaults the phase timeout to 200 ms, and Coral publishes every comment whose
phase call times out. This starts ``moderation up`` (embedded Redis, SQLite, API, workers) in a
fresh state folder, registers a site and a Coral signing secret, then sends ``--rounds`` bursts of
``--concurrency`` signed phase calls at once, built as Coral builds them (pretty-printed JSON,
``X-Coral-Signature``), with ``?timeout=`` as set in Coral. It reports the answer time (p50, p99,
max over every call) and how many clean comments were answered ``SYSTEM_WITHHELD`` without a flag
(the verdict missed the budget: fail closed, a moderator's work). Target: p99 ≤ 150 ms for 30
concurrent calls. Needs a quiet machine: a busy one measures the machine.

    .venv/bin/python bench/bench_coral_burst.py --concurrency 30 --rounds 20 --timeout-ms 200
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SECRET = "empsec_" + "5a" * 32
CLEAN = (
    "Thanks for the clear write-up, the second chart made it click for me.",
    "I disagree with the conclusion, but the data section is solid.",
    "Great photos, which camera did you use for the night shots?",
)
TARGET_P99_MS = 150.0


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "moderation", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def phase_body(text: str, number: int) -> bytes:
    data = {
        "action": "NEW",
        "comment": {"body": f"<p>{text}</p>", "parentID": None},
        "author": {"id": f"user-{number}", "role": "COMMENTER"},
        "story": {"id": f"story-{number % 7}", "url": "https://blog.example/a"},
        "site": {"id": "coral-site"},
        "tenantID": "tenant",
        "tenantDomain": "blog.example",
    }
    return json.dumps(data, indent=2).encode()


def call(url: str, body: bytes) -> tuple[float, int, str]:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Coral-Signature": signature,
    })  # fmt: skip
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    return (time.perf_counter() - started) * 1000, status, text


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--timeout-ms", type=int, default=200, help="the phase timeout in Coral")
    parser.add_argument("--workers", type=int, default=2, help="up's worker processes")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="coral-burst-")
    env = {**os.environ, "MODERATION_STATE_DIR": state}
    env.pop("MODERATION_DATABASE_URL", None)
    env.pop("MODERATION_REDIS_URL", None)
    cli(env, "db", "upgrade")
    cli(env, "sites", "create", "blog", "--origin", "https://blog.example")
    cli(env, "coral", "secrets", "add", "--site", "blog", stdin=SECRET + "\n")
    log = (Path(state) / "up.log").open("w")
    up = subprocess.Popen(
        [sys.executable, "-m", "moderation", "up", "--port", str(args.port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_ready(base + "/readyz")
        url = f"{base}/v1/integrations/coral/moderate?site=blog&timeout={args.timeout_ms}"
        times: list[float] = []
        missed = errors = 0
        with ThreadPoolExecutor(args.concurrency) as pool:
            for number in range(args.rounds + 1):
                bodies = [phase_body(CLEAN[i % len(CLEAN)], number * 1000 + i)
                          for i in range(args.concurrency)]  # fmt: skip
                results = list(pool.map(lambda body: call(url, body), bodies))
                if number == 0:
                    continue  # warm-up: connections, caches, the models' first call
                for elapsed, status, text in results:
                    times.append(elapsed)
                    errors += status not in (200, 204)
                    missed += status == 200 and json.loads(text) == {"status": "SYSTEM_WITHHELD"}
                time.sleep(0.5)
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        up.wait(timeout=30)
        log.close()
    times.sort()
    p99 = times[max(0, math.ceil(len(times) * 0.99) - 1)]  # nearest rank
    result = {
        "concurrency": args.concurrency,
        "calls": len(times),
        "timeout_ms": args.timeout_ms,
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(times[-1], 1),
        "withheld_for_time": missed,
        "errors": errors,
        "target_p99_ms": TARGET_P99_MS,
        "met": p99 <= TARGET_P99_MS,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
