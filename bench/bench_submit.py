"""Accepted submissions per second: the real API next to a validation-only endpoint.

Both run under gunicorn with ``moderation serve``'s command line (``--workers 3 --threads N``,
gthread; ``moderation.cli.service.gunicorn_command``): the real API (``python -m moderation
serve``: key check, INSERT, COMMIT, RQ enqueue, 202) and ``bench/baseline_app.py`` (the same
marshmallow schema, nothing else). ``wrk`` drives both with the same POST bodies and connections,
in alternating rounds, so machine noise hits both alike; the figure is the ratio of the medians.
Only 202s count as accepted; every other answer and socket error is counted and reported. After
the runs, the comments in the database are counted: every 202 must be a committed row.

wrk's own ceiling is measured against a canned-answer server (no parsing, no framework), and wrk's
CPU time is reported for every run, so a figure limited by the client would show.

    .venv/bin/python bench/bench_submit.py --backend sqlite --backend postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench import common
from moderation.storage import Comment

LUA = Path(__file__).with_name("submit.lua")
TARGET = 0.40
CANNED = b"HTTP/1.1 202 ACCEPTED\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def run_wrk(url: str, key: str, bodies: Path, connections: int, seconds: float) -> dict[str, Any]:
    """One wrk run; its counts, and its own CPU use (from the child's rusage)."""
    argv = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "-s",
        str(LUA),
        url,
    ]
    env = dict(os.environ, BENCH_BODIES=str(bodies), BENCH_KEY=key)
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    match = re.search(r"^BENCH (\{.*\})$", text, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    result = json.loads(match.group(1))
    result["accepted_per_s"] = result["accepted"] / result["duration_s"]
    result["wrk_cpu_share"] = (usage.ru_utime + usage.ru_stime) / result["duration_s"]
    return result


# -- wrk's ceiling -------------------------------------------------------------------------------


class CannedHTTP(asyncio.Protocol):
    """Answers every HTTP/1.1 request on the connection with the same 202, reading its body."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = re.search(rb"(?i)content-length:\s*(\d+)", self.buffer[:end])
            size = end + 4 + (int(match.group(1)) if match else 0)
            if len(self.buffer) < size:
                return
            self.buffer = self.buffer[size:]
            self.transport.write(CANNED)


def serve_canned(port: int) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(CannedHTTP, common.HOST, port)
        await server.serve_forever()

    asyncio.run(main())


def client_ceiling(bodies: Path, connections: int, seconds: float, log_dir: Path) -> dict[str, Any]:
    port = common.free_port()
    argv = [sys.executable, __file__, "--canned-server", str(port)]
    canned = common.Child(argv, log_dir / "canned.log", dict(os.environ))
    with common.running(canned):
        common.wait_until(lambda: listening(port), "the canned server", 10, canned)
        return run_wrk(f"http://{common.HOST}:{port}", "", bodies, connections, seconds)


def listening(port: int) -> bool:
    try:
        with socket.create_connection((common.HOST, port), timeout=1):
            return True
    except OSError:
        return False


# -- the comparison ------------------------------------------------------------------------------


def compare(kind: str, args: argparse.Namespace, bodies: Path, log_dir: Path) -> dict[str, Any]:
    """Alternating wrk rounds against the baseline and the real API on one backend."""
    rounds: list[dict[str, Any]] = []
    with common.backend(kind) as backend:
        api_port, baseline_port = common.free_port(), common.free_port()
        api = common.start_api(backend, api_port, args.workers, args.threads, log_dir)
        with common.running(api):
            baseline = common.start_baseline(baseline_port, args.workers, args.threads, log_dir)
            with common.running(baseline):
                targets = {
                    "baseline": f"http://{common.HOST}:{baseline_port}",
                    "api": f"http://{common.HOST}:{api_port}",
                }
                for url in targets.values():  # warm up: imports, connection pools, caches
                    run_wrk(url, backend.submit_key, bodies, args.connections, args.warmup)
                # CPU the servers spend per answer, whatever else the machine is doing.
                servers = {
                    "baseline": common.process_group(baseline.pid),
                    "api": common.process_group(api.pid) + common.server_pids(backend),
                }
                for number in range(args.rounds):
                    order = list(targets) if number % 2 == 0 else list(reversed(targets))
                    runs = {}
                    for name in order:
                        cpu = common.cpu_seconds(servers[name])
                        runs[name] = run_wrk(
                            targets[name],
                            backend.submit_key,
                            bodies,
                            args.connections,
                            args.duration,
                        )
                        runs[name]["server_cpu_ms_per_request"] = (
                            1000
                            * (common.cpu_seconds(servers[name]) - cpu)
                            / runs[name]["requests"]
                        )
                    runs["ratio"] = (
                        runs["api"]["accepted_per_s"] / runs["baseline"]["accepted_per_s"]
                    )
                    rounds.append(runs)
                    print(
                        f"{kind} round {number + 1}: "
                        f"baseline {runs['baseline']['accepted_per_s']:.0f}/s, "
                        f"api {runs['api']['accepted_per_s']:.0f}/s, ratio {runs['ratio']:.2f}",
                        file=sys.stderr,
                    )
        database = backend.database()
        with database.transaction() as session:
            stored = session.scalar(select(func.count()).select_from(Comment))
        database.engine.dispose()  # type: ignore[union-attr]
        queued = backend.redis().llen("rq:queue:score")
        common.flush_queue(backend)
    accepted_total = sum(r["api"]["accepted"] for r in rounds)
    baseline_rate = common.median([r["baseline"]["accepted_per_s"] for r in rounds])
    api_rate = common.median([r["api"]["accepted_per_s"] for r in rounds])
    cpu = {
        name: common.median([r[name]["server_cpu_ms_per_request"] for r in rounds])
        for name in ("baseline", "api")
    }
    return {
        "backend": kind,
        "server_cpu_ms_per_request": cpu,
        # What the throughput ratio would be if both were bound by the same CPU, nothing else.
        "cpu_ratio": cpu["baseline"] / cpu["api"],
        "baseline_per_s": baseline_rate,
        "api_accepted_per_s": api_rate,
        "ratio": api_rate / baseline_rate,
        "ratio_per_round": [r["ratio"] for r in rounds],
        "target": TARGET,
        "met": api_rate / baseline_rate >= TARGET,
        "api_errors": {
            name: sum(r["api"][name] for r in rounds)
            for name in ("other_2xx", "client_errors", "server_errors")
        }
        | {"socket": sum(sum(r["api"]["socket_errors"].values()) for r in rounds)},
        "api_latency_p99_ms": common.median([r["api"]["latency_ms"]["p99"] for r in rounds]),
        "wrk_cpu_share_max": max(
            r[n]["wrk_cpu_share"] for r in rounds for n in ("api", "baseline")
        ),
        # Every 202 of the timed rounds (and of the warm-up) must be a committed row.
        "rows_committed": stored,
        "accepted_in_rounds": accepted_total,
        "jobs_enqueued": queued,
        "rounds": rounds,
    }


def main() -> None:
    parser = common.arguments(__doc__)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (both apps)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads (both apps)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per app")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--canned-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.canned_server:
        serve_canned(args.canned_server)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        log_dir = Path(tmp)
        bodies = log_dir / "bodies.jsonl"
        bodies.write_text("".join(json.dumps(b) + "\n" for b in common.comment_bodies(500)))
        ceiling = client_ceiling(bodies, args.connections, args.duration / 2, log_dir)
        print(f"wrk ceiling (canned server): {ceiling['accepted_per_s']:.0f}/s", file=sys.stderr)
        results = [compare(kind, args, bodies, log_dir) for kind in args.backend or ["sqlite"]]
    common.write_result(
        args.out,
        {
            "benchmark": "submit",
            "settings": {
                "gunicorn": f"--workers {args.workers} --threads {args.threads} (gthread)",
                "wrk": f"-t 1 -c {args.connections}, {args.rounds} x {args.duration:g} s rounds",
            },
            "client_ceiling_per_s": ceiling["accepted_per_s"],
            "client_ceiling_wrk_cpu_share": ceiling["wrk_cpu_share"],
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
