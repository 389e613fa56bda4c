"""What the models cost to run, measured by ``bench/bench_models.py`` in a fresh process.

The evaluation runs the benchmark as a subprocess (so the imports and memory of the evaluation
do not count) and keeps its JSON; :func:`cost_rows` is the one list of its figures with their
targets, printed by the benchmark and written to the report and the model card.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_bench() -> dict[str, Any] | None:
    """Run ``bench/bench_models.py --json`` in a fresh process, if present."""
    script = REPO / "bench" / "bench_models.py"
    if not script.exists():
        return None
    res = subprocess.run(
        [sys.executable, str(script), "--json"], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        return {"error": res.stderr[-2000:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def cost_rows(c: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(measure, figure, target) rows of ``bench/bench_models.py``'s figures; it prints them too."""
    rows = [
        ("median latency, one comment, both models", f"{c['single_ms']:.3f} ms", "≤ 1 ms"),
        ("  same, CPU time of the scoring thread", f"{c['single_cpu_ms']:.3f} ms", "≤ 1 ms"),
    ]
    if "single_p95_ms" in c:
        rows.append(("p95 latency, one comment", f"{c['single_p95_ms']:.3f} ms", "-"))
    rows += [
        ("throughput, batches of 1,000", f"{c['batch_per_s']:.0f} comments/s", "≥ 5,000/s"),
        ("  same, per CPU-second", f"{c['batch_per_cpu_s']:.0f} comments/s", "≥ 5,000/s"),
        ("artifacts on disk", f"{c['artifacts_mb']:.1f} MB", "≤ 30 MB"),
        ("load both models (read, verify checksums, build)", f"{c['load_s']:.2f} s", "≤ 2 s"),
        ("import scikit-learn + skops, once per process", f"{c['import_s']:.2f} s", "-"),
        ("RSS of a process with both models", f"{c['rss_mb']:.0f} MB", "≤ 400 MB"),
    ]
    return rows


def cost_met(c: dict[str, Any]) -> bool:
    """True when every cost figure with a target meets it."""
    return (
        c["single_ms"] <= 1
        and c["batch_per_s"] >= 5000
        and c["artifacts_mb"] <= 30
        and c["load_s"] <= 2
        and c["rss_mb"] <= 400
    )
