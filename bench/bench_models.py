"""Measure what the models cost: latency, throughput, size, load time and memory.

Run in a fresh process (``python bench/bench_models.py [--artifacts DIR] [--json]``), so load
time and RSS are those of a worker that has just started and loaded both models.  Comments are
the hand-written sets in ``models/testsets`` (short and medium news-site comments), repeated
with numbered variations so that no cache can help.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def rss_mb() -> float:
    """Resident set size of this process, in MB (from /proc)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def comments(n: int) -> list[dict[str, str | None]]:
    """``n`` comments cycling through the hand-written sets, each made unique."""
    texts: list[str] = []
    for f in sorted((REPO / "models" / "testsets").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    out = []
    for i in range(n):
        t = texts[i % len(texts)]
        if i % 3 == 0:
            t = t + " " + texts[(i * 7) % len(texts)]
        out.append({"text": f"{t} ({i})", "name": f"reader{i % 50}", "email": None, "url": None})
    return out


def main(argv: list[str] | None = None) -> int:
    """Print a table of the figures (and a JSON line with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifacts", type=Path, default=REPO / "models" / "artifacts")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    ap.add_argument("--single", type=int, default=1000, help="single-comment calls to time")
    ap.add_argument("--batches", type=int, default=5, help="batches of 1,000 to time")
    a = ap.parse_args(argv)

    rss0 = rss_mb()
    t0 = time.perf_counter()
    from models.artifacts import load_scorer

    t1 = time.perf_counter()
    scorer = load_scorer(a.artifacts)
    load_s = time.perf_counter() - t1
    import_s = t1 - t0
    size = sum(p.stat().st_size for p in a.artifacts.iterdir() if p.suffix == ".skops")

    data = comments(max(a.single, 1000))
    scorer.score(data[:50])  # warm-up: first calls allocate
    # Wall time and CPU time of this thread: on a shared machine the CPU figures are the
    # stable ones (wall time includes waiting for a core).
    lat, cpu_lat = [], []
    for c in data[: a.single]:
        t, c0 = time.perf_counter(), time.thread_time()
        scorer.score([c])
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.thread_time() - c0) * 1000)
    per_s, cpu_per_s = [], []
    for b in range(a.batches):
        batch = comments(1000 * (b + 1))[-1000:]
        t, c0 = time.perf_counter(), time.thread_time()
        scorer.score(batch)
        per_s.append(1000 / (time.perf_counter() - t))
        cpu_per_s.append(1000 / max(time.thread_time() - c0, 1e-9))
    figures = {
        "single_ms": statistics.median(lat),
        "single_p95_ms": sorted(lat)[int(0.95 * len(lat))],
        "batch_per_s": statistics.median(per_s),
        "single_cpu_ms": statistics.median(cpu_lat),
        "batch_per_cpu_s": statistics.median(cpu_per_s),
        "artifacts_mb": size / 1e6,
        "load_s": load_s,
        "import_s": import_s,
        "rss_mb": rss_mb(),
        "rss_before_load_mb": rss0,
        "cpu": os.cpu_count(),
    }
    from models.evaluate.cost import cost_rows  # after measuring: its imports must not count

    rows = cost_rows(figures)
    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'figure':>12}  target")
    for name, fig, target in rows:
        print(f"{name:<{w}}  {fig:>12}  {target}")
    if a.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
