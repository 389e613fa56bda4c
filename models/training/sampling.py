"""Per-source sampling: up to a cap of rows from each source, random but reproducible.

The one helper behind the trainer's small samples (tests), the encoder's per-source caps and
its continuation run, and the held-out rows the encoder evaluation scores.  Its random stream
is part of what a run reproduces: one ``random.Random(seed)`` shuffles each source in sorted
order, then (``shuffle``) the result.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable

from models.training.datasets import Example


def sample_per_source(
    rows: Iterable[Example],
    cap: Callable[[str], int | None],
    seed: int,
    *,
    first: Callable[[Example], bool] | None = None,
    shuffle: bool = False,
) -> list[Example]:
    """At most ``cap(source)`` rows of each source (None: all of them), sources in sorted order.

    ``first`` marks rows taken before the others, up to a quarter of the cap (the rare-label
    positives of the encoder's training); ``shuffle`` shuffles the result, else it stays
    grouped by source.
    """
    rng = random.Random(seed)
    by_source: dict[str, list[Example]] = defaultdict(list)
    for r in rows:
        by_source[r.source].append(r)
    out: list[Example] = []
    for source in sorted(by_source):
        group = by_source[source]
        rng.shuffle(group)
        n = cap(source)
        if n is None:
            out.extend(group)
            continue
        if first is not None:
            marked = [first(r) for r in group]
            preferred = [r for r, m in zip(group, marked, strict=True) if m][: n // 4]
            group = preferred + [r for r, m in zip(group, marked, strict=True) if not m]
        out.extend(group[:n])
    if shuffle:
        rng.shuffle(out)
    return out
