"""How many clients trickling their request bodies the API survives: gunicorn alone, and ``up``.

Each trickler sends a submission's head, then one byte of body every ``--every`` seconds (4 s in
the issue 17 probe, so no read ever times out); meanwhile ``/readyz`` is asked once a second for
``--seconds``. A layout survives N tricklers when every ``/readyz`` answered within 2 s. Layouts:

- ``gunicorn alone``: ``moderation serve`` with 2 processes x 16 threads, the way ``up`` ran the
  API before issue 17 item 2 (each trickler holds a gthread thread);
- ``up``: the real ``moderation up`` (``--workers 0``: no models needed), whose front door
  (``moderation/cli/front.py``) buffers whole requests before gunicorn sees them.

The counts tried are ``--clients`` (default 10, 34, 100, 200, 400); a layout stops at its first
failure. Target (issue 17): ``up`` survives at least 200.

    .venv/bin/python bench/bench_slow_clients.py [--clients 10,34,100,200,400] [--seconds 24]
        [--every 4] [--out bench/results/slow_clients.json]

Run it on a quiet machine: the figure is about threads and sockets, and a loaded CPU makes the
healthy answers slow too.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    HOST,
    Child,
    arguments,
    backend,
    free_port,
    running,
    start_api,
    wait_http,
    write_result,
)

ANSWER_WITHIN_SECONDS = 2.0


def probe(url: str, key: str, clients: int, seconds: int, every: float) -> dict[str, Any]:
    """``clients`` tricklers for ``seconds``; how /readyz answered meanwhile."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/comments HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    tricklers: list[socket.socket] = []
    times: list[float] = []
    try:
        for _ in range(clients):
            connection = socket.create_connection((host, int(port)), timeout=30)
            connection.sendall(head + b'{"text": "')
            tricklers.append(connection)
        next_byte = time.monotonic() + every
        for _ in range(seconds):
            if time.monotonic() >= next_byte:
                for connection in tricklers:
                    # A trickler the server dropped (its total time ran out) stays dropped.
                    with contextlib.suppress(OSError):
                        connection.sendall(b"a")
                next_byte += every
            start = time.monotonic()
            try:
                requests.get(f"{url}/readyz", timeout=5).raise_for_status()
                times.append(time.monotonic() - start)
            except requests.RequestException:
                times.append(float("inf"))
            time.sleep(max(0.0, 1 - (time.monotonic() - start)))
    finally:
        for connection in tricklers:
            connection.close()
    slowest = max(times)
    return {
        "readyz_within_2s": sum(1 for t in times if t < ANSWER_WITHIN_SECONDS),
        "readyz_asked": len(times),
        "slowest_s": round(slowest, 2) if slowest != float("inf") else "timed out (5 s)",
        "survived": all(t < ANSWER_WITHIN_SECONDS for t in times),
    }


def ramp(url: str, key: str, counts: list[int], seconds: int, every: float) -> dict[str, Any]:
    """Probe each count in turn until one fails; the largest survived and every probe."""
    probes: dict[str, Any] = {}
    survived = 0
    for count in counts:
        probes[str(count)] = found = probe(url, key, count, seconds, every)
        if not found["survived"]:
            break
        survived = count
        time.sleep(2)  # let the server close what the last probe left
    return {"survived_tricklers": survived, "probes": probes}


def start_up(state: Path, port: int) -> tuple[Child, str]:
    """``moderation up --workers 0`` on a fresh state folder; the child and the site key."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "MODERATION_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(MODERATION_HOME=str(state), MODERATION_RATE_LIMIT_ENABLED="false")
    argv = [sys.executable, "-m", "moderation", "up", "--port", str(port), "--workers", "0"]
    child = Child(argv, state.parent / "up.log", env)
    wait_http(child, f"http://{HOST}:{port}/readyz", timeout=120)
    key = next(
        word for word in child.log.read_text().split() if word.startswith("msk_")
    )  # printed on the first start
    return child, key


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--clients", default="10,34,100,200,400")
    parser.add_argument("--seconds", type=int, default=24)
    parser.add_argument("--every", type=float, default=4.0)
    options = parser.parse_args()
    counts = [int(count) for count in options.clients.split(",")]
    # Every trickler is a socket here and there: raise the soft limit of open files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    result: dict[str, Any] = {"benchmark": "slow_clients", "every_s": options.every}
    with backend("sqlite") as chosen:
        port = free_port()
        api = start_api(chosen, port, 2, 16, chosen.state_dir / "logs")
        with running(api):
            result["gunicorn alone (2 x 16 threads)"] = ramp(
                f"http://{HOST}:{port}", chosen.submit_key, counts, options.seconds, options.every
            )
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as folder:
        port = free_port()
        up, key = start_up(Path(folder) / "var", port)
        with running(up):
            result["up (front door buffering)"] = ramp(
                f"http://{HOST}:{port}", key, counts, options.seconds, options.every
            )
    write_result(options.out, result)


if __name__ == "__main__":
    main()
