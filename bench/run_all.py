"""Run the three load benchmarks and print one summary table (markdown).

Each benchmark starts what it needs (API under gunicorn, workers, the baseline app, wrk) on each
backend, stops it, and leaves its JSON result in ``--results`` (default ``bench/results/``, which
git ignores). The table is printed and, with ``--markdown FILE``, written there as well.

    .venv/bin/python bench/run_all.py                 # both backends, full length (~15 min)
    .venv/bin/python bench/run_all.py --quick         # shorter runs, for a smoke check
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
BACKEND_NAMES = {"sqlite": "SQLite + embedded Redis", "postgresql": "PostgreSQL + Redis"}


def run(script: str, out: Path, backends: list[str], extra: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(BENCH / script), "--out", str(out), *extra]
    for backend in backends:
        command += ["--backend", backend]
    print("$", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def verdict(met: bool) -> str:
    return "yes" if met else "**no**"


def table(submit: dict[str, Any], worker: dict[str, Any], latency: dict[str, Any]) -> str:
    rows = [
        "| benchmark | backend | measured | reference (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in submit["results"]:
        cpu = r["server_cpu_ms_per_request"]
        errors = sum(r["api_errors"].values())
        rows.append(
            f"| submit: accepted/s | {BACKEND_NAMES[r['backend']]} "
            f"| {r['api_accepted_per_s']:,.0f}/s ({errors} errors; "
            f"{cpu['api']:.2f} ms server CPU each) "
            f"| validation-only Flask {r['baseline_per_s']:,.0f}/s ({cpu['baseline']:.2f} ms) "
            f"| {r['ratio']:.2f} (CPU: {r['cpu_ratio']:.2f}) | ≥ 0.40 | {verdict(r['met'])} |"
        )
    for r in worker["results"]:
        cpu = r["worker_cpu_ms_per_job"]
        rows.append(
            f"| worker: scored/s, 1 process | {BACKEND_NAMES[r['backend']]} "
            f"| {r['scored_per_s']:,.0f}/s ({cpu['scoring']:.1f} ms worker CPU each) "
            f"| RQ no-op jobs {r['noop_per_s']:,.0f}/s ({cpu['noop']:.1f} ms) "
            f"| {r['ratio']:.2f} (CPU: {r['cpu_ratio']:.2f}) | ≥ 0.70 | {verdict(r['met'])} |"
        )
    for r in latency["results"]:
        v = r["verdict_announced_ms"]
        rows.append(
            f"| submit→verdict at {r['offered_per_s']:.0f}/s offered, {r['workers']} workers "
            f"| {BACKEND_NAMES[r['backend']]} "
            f"| p50 {v['p50']:,.0f} ms, p99 {v['p99']:,.0f} ms "
            f"({r['accepted']} accepted, {r['errors']} errors, {r['no_verdict']} without verdict) "
            f"| — | — | p99 ≤ 100 ms | {verdict(r['met'])} |"
        )
    ceiling = submit["client_ceiling_per_s"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = [
        "",
        f"Measured {stamp} on this machine ({os.cpu_count()} cores, shared with other work), "
        f"rate limits off (`MODERATION_RATE_LIMIT_ENABLED=false`). gunicorn: "
        f"{submit['settings']['gunicorn']} for both apps; wrk {submit['settings']['wrk']}; "
        f"wrk's own ceiling (canned-answer server): {ceiling:,.0f}/s.",
    ]
    return "\n".join(rows + notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", action="append", choices=list(BACKEND_NAMES))
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke check)")
    parser.add_argument("--models-dir", type=Path, default=None, help="default: the shipped models")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    backends = args.backend or list(BACKEND_NAMES)
    args.results.mkdir(parents=True, exist_ok=True)
    models = ["--models-dir", str(args.models_dir)] if args.models_dir else []
    quick = args.quick
    submit = run(
        "bench_submit.py",
        args.results / "submit.json",
        backends,
        ["--duration", "4", "--rounds", "2"] if quick else [],
    )
    worker = run(
        "bench_worker.py",
        args.results / "worker.json",
        backends,
        models + (["--jobs", "200", "--rounds", "2"] if quick else []),
    )
    latency = run(
        "bench_latency.py",
        args.results / "latency.json",
        backends,
        models + ["--rate", "100", "--rate", "10"] + (["--duration", "10"] if quick else []),
    )
    text = table(submit, worker, latency)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
