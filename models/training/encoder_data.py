"""What the encoder is trained on: the held-out split and the rows of each run.

Shared by the fine-tuning (:mod:`models.training.encoder_training`), the build
(:mod:`models.training.encoder_build`) and the held-out evaluation (:mod:`models.evaluate.encoder`),
without importing PyTorch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from models.labels import TOXICITY_LABELS
from models.training.datasets import Example, dedupe_key
from models.training.sampling import sample_per_source

EVAL_HELD_OUT = (
    "civil-comments-toxic-spans",
    "davidson-hate-speech-offensive",
    "kaggle-insults",
)
TEST_FRACTION = 0.2
# Rows per source in one training run (randomly sampled; positives of rare labels first): the
# cap keeps the six sources of 15,000+ rows from outweighing the rest (one pass over the capped
# sample is ~110,000 rows, about an hour on 2 quiet cores).
PER_SOURCE = 10_000
SOURCE_CAPS: dict[str, int] = {}


def is_test(ex: Example, fraction: float = TEST_FRACTION) -> bool:
    """Whether a row is in the fixed held-out part of its source (by text or pair hash)."""
    key = ex.meta.get("pair") or dedupe_key(ex.text)
    h = int.from_bytes(hashlib.sha256(f"{ex.source}:{key}".encode()).digest()[:4], "big")
    return h / 2**32 < fraction


def split_rows(rows: Sequence[Example], run: str) -> tuple[list[Example], list[Example]]:
    """(candidate training rows, held-out rows) for a run; spam-only rows are dropped."""
    tox = [r for r in rows if any(k in r.labels for k in TOXICITY_LABELS)]
    if run == "ship":
        return tox, []
    train, test = [], []
    for r in tox:
        held = r.source in EVAL_HELD_OUT or (not r.source.startswith("handwritten") and is_test(r))
        (test if held else train).append(r)
    return train, test


def sample_sources(rows: Sequence[Example], seed: int, scale: float = 1.0) -> list[Example]:
    """Up to a cap of rows per source, rare-label positives kept first, then at random."""
    return sample_per_source(
        rows,
        lambda source: int(SOURCE_CAPS.get(source, PER_SOURCE) * scale),
        seed,
        first=lambda r: any(r.labels.get(k) == 1 for k in ("threat", "severe_toxicity")),
        shuffle=True,
    )


# Rows per source when the ship run continues from the eval run: what the eval run held out.
CONTINUE_CAPS = {
    "civil-comments-toxic-spans": 2500,
    "davidson-hate-speech-offensive": 800,
    "kaggle-insults": 800,
}
CONTINUE_OTHER = 300


def continuation_rows(rows: Sequence[Example], seed: int) -> list[Example]:
    """The ship run as a continuation of the eval run: a sample of the rows it held out."""
    _, held = split_rows(rows, "eval")
    return sample_per_source(
        held, lambda source: CONTINUE_CAPS.get(source, CONTINUE_OTHER), seed, shuffle=True
    )
