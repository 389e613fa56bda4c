"""Benchmark `models.text.normalize`: microseconds per comment, median over real comments.

Run as `python bench/bench_text.py [--data DIR] [--n N]`. Samples come from the public datasets
(YouTube and SMS spam, Kaggle insults, Jigsaw toxic comments) when DIR exists, otherwise from
built-in samples; each sample is also timed after `models.training.perturb.perturb`, since
evasive comments take the slower, non-ASCII path.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.text import normalize, normalize_with_offsets
from models.training.datasets import default_data_dir
from models.training.perturb import perturb

DEFAULT_DATA = default_data_dir() / "raw"

BUILT_IN = [
    "I paid $20 for 3 items and it arrived on the 2nd, great seller. Would buy again in 2026!",
    "Check out my channel http://www.example.com/moretraffic and subscribe!!! Call +44 7935 454150",
    "You are a complete idiot and everyone here knows it. Go away and never come back, loser.",
    "This is a thoughtful article. I disagree with the second point, though: the data from the "
    "survey does not support the conclusion the author draws about rents in the city centre.",
    "FREE entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 now",
]


def _read_csv_column(path: Path, column: str, limit: int) -> list[str]:
    """First `limit` values of `column` in a CSV file, or nothing if it cannot be read."""
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows = csv.DictReader(f)
            return [row[column] for _, row in zip(range(limit), rows, strict=False)]
    except (OSError, KeyError, csv.Error):
        return []


def load_samples(data: Path, per_source: int) -> list[str]:
    """Comment texts from the public datasets under `data`, or the built-in samples."""
    texts: list[str] = []
    for name in ("Youtube01-Psy.csv", "Youtube02-KatyPerry.csv", "Youtube04-Eminem.csv"):
        texts += _read_csv_column(data / "youtube-spam-collection" / name, "CONTENT", per_source)
    texts += _read_csv_column(data / "kaggle-insults" / "train.csv", "Comment", per_source)
    texts += _read_csv_column(
        data / "jigsaw-toxic-comment-subsets" / "hieunt91_toxic_comments_2000.csv",
        "comment_text",
        per_source,
    )
    sms = data / "sms-spam-collection" / "SMSSpamCollection"
    if sms.exists():
        lines = sms.read_text(encoding="utf-8", errors="replace").splitlines()[:per_source]
        texts += [line.split("\t", 1)[-1] for line in lines]
    texts = [t for t in texts if t.strip()]
    return texts or BUILT_IN


def time_each(fn: Callable[[str], object], texts: list[str], repeats: int) -> list[float]:
    """Per-text time in microseconds: the best of `repeats` runs, to drop scheduler noise."""
    times = []
    for text in texts:
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            fn(text)
            best = min(best, time.perf_counter_ns() - t0)
        times.append(best / 1000)
    return times


def report(label: str, texts: list[str], times: list[float]) -> None:
    """Print median and tail latency, and the median per 200 characters."""
    per_200 = [t * 200 / max(len(x), 1) for t, x in zip(times, texts, strict=True)]
    q = statistics.quantiles(times, n=100)
    print(
        f"{label:<28} n={len(texts):>5}  median {statistics.median(times):7.1f} us  "
        f"p95 {q[94]:7.1f} us  p99 {q[98]:7.1f} us  "
        f"median per 200 chars {statistics.median(per_200):6.1f} us  "
        f"(median length {statistics.median(len(x) for x in texts):.0f} chars)"
    )


def main() -> None:
    """Time normalize on plain and perturbed samples, and the throughput of a batch."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=400, help="samples per source")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    texts = load_samples(args.data, args.n)
    rng = random.Random(0)
    perturbed = [perturb(t, rng) for t in texts]
    for text in texts[:50]:  # warm the per-character cache, as a long-running worker would be
        normalize(text)
    report("normalize (original)", texts, time_each(normalize, texts, args.repeats))
    report("normalize (perturbed)", perturbed, time_each(normalize, perturbed, args.repeats))
    report(
        "normalize_with_offsets",
        perturbed,
        time_each(normalize_with_offsets, perturbed, args.repeats),
    )
    typical = [t for t in texts + perturbed if 150 <= len(t) <= 250]
    if typical:
        report("typical (150-250 chars)", typical, time_each(normalize, typical, args.repeats))
    batch = texts + perturbed
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for text in batch:
            normalize(text)
        best = min(best, time.perf_counter() - t0)
    print(f"batch: {len(batch) / best:,.0f} comments/s (one core, mixed plain and perturbed)")


if __name__ == "__main__":
    main()
