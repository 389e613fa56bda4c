"""Whether clients that trickle their request bodies make /healthz unreachable.

The API under gunicorn with 2 processes, as ``up`` runs it, with 4 threads each (the layout
before issue 9) and with 16 (``up`` now): ten clients send a submission's headers and then one
byte of body a second; meanwhile /healthz is asked once a second. The figures are how many of
those answered within 2 s, and the slowest.

    .venv/bin/python bench/bench_slow_clients.py [--clients 10] [--seconds 8] [--out FILE]
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    HOST,
    arguments,
    backend,
    free_port,
    running,
    start_api,
    write_result,
)


def probe(url: str, key: str, clients: int, seconds: int) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/comments HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    tricklers = [socket.create_connection((host, int(port)), timeout=30) for _ in range(clients)]
    times: list[float] = []
    try:
        for connection in tricklers:
            connection.sendall(head + b'{"text": "')
        for _ in range(seconds):
            for connection in tricklers:
                connection.sendall(b"a")
            start = time.monotonic()
            try:
                requests.get(f"{url}/healthz", timeout=5).raise_for_status()
                times.append(time.monotonic() - start)
            except requests.RequestException:
                times.append(float("inf"))
            time.sleep(max(0.0, 1 - (time.monotonic() - start)))
    finally:
        for connection in tricklers:
            connection.close()
    return {
        "healthz_answered_within_2s": sum(1 for t in times if t < 2),
        "healthz_asked": len(times),
        "slowest_s": round(max(times), 2) if max(times) != float("inf") else "timed out (5 s)",
    }


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=8)
    options = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "slow_clients", "clients": options.clients}
    with backend("sqlite") as chosen:
        for threads in (4, 16):
            port = free_port()
            api = start_api(chosen, port, 2, threads, chosen.state_dir / "logs")
            with running(api):
                url = f"http://{HOST}:{port}"
                result[f"2 processes x {threads} threads"] = probe(
                    url, chosen.submit_key, options.clients, options.seconds
                )
    write_result(options.out, result)


if __name__ == "__main__":
    main()
