"""The Wikipedia talk-page sets (one group, ``wikipedia``: they share pages and overlap)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from models.training.datasets.rows import Example, clean_text
from models.training.datasets.rows import example as _ex

_JIGSAW_MAP = {
    "toxic": "toxicity",
    "severe_toxic": "severe_toxicity",
    "obscene": "profanity",
    "threat": "threat",
    "insult": "insult",
    "identity_hate": "identity_attack",
}


def _jigsaw_row(r: dict[str, str]) -> dict[str, int | None]:
    return {ours: int(float(r[theirs])) for theirs, ours in _JIGSAW_MAP.items()}


def load_jigsaw_pools(d: Path) -> Iterator[Example]:
    """Jigsaw 6,200-row pools; ``split`` keeps Kaggle's train/test origin of each pool."""
    path = d / "raw/jigsaw-toxic-predibase-pools/jigsaw_pools_6200.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = clean_text(r["comment_text"])
            if text:
                yield _ex(
                    text,
                    "jigsaw-toxic-predibase-pools",
                    _jigsaw_row(r),
                    split=r["pool"].split(".")[0],
                )


def load_jigsaw_subsets(d: Path) -> Iterator[Example]:
    """Jigsaw 2,000-row subset and the 101-row lowercased IBM sample."""
    base = d / "raw/jigsaw-toxic-comment-subsets"
    for name in ("hieunt91_toxic_comments_2000.csv", "ibm_max_test_examples_101.csv"):
        with (base / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                text = clean_text(r["comment_text"])
                if text:
                    yield _ex(
                        text,
                        "jigsaw-toxic-comment-subsets",
                        _jigsaw_row(r),
                        split=r.get("dataset") or "test",
                    )


def load_wikipedia_identity(d: Path) -> Iterator[Example]:
    """Identity-term subsets: real talk comments (toxic/not) and clean article sentences."""
    base = d / "raw/wikipedia-toxicity-identity-subsets"
    with (base / "toxicity_nonfuzzed_testset.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = clean_text(r["comment"])
            if text:
                y = int(r["toxic"].strip() == "True")
                yield _ex(text, "wikipedia-toxicity-identity-subsets", {"toxicity": y})
    with (base / "toxicity_debiasing_data.tsv").open(encoding="utf-8", newline="") as fh:
        debias = list(csv.DictReader(fh, delimiter="\t"))
    for r in debias:
        text = clean_text(r["comment"] or "")
        if text:
            yield _ex(
                text,
                "wikipedia-toxicity-identity-subsets",
                {"toxicity": 0},
                meta={"kind": "article"},
            )


def load_wikipedia_cat(d: Path) -> Iterator[Example]:
    """Wikipedia CAT: out-of-context labels (``gn.csv`` label, ``cat_small`` ``label_oc``) ->
    ``toxicity``; ``gc.csv`` (labelled with the parent in view) only where it says 0.

    A comment that was toxic only given its parent is not a comment-level positive, while one
    clean in context is clean alone.  The ``api`` column (a model's score) is never used.
    """
    base = d / "raw/wikipedia-context-toxicity-cat"
    src = "wikipedia-context-toxicity-cat"
    with (base / "gn.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if text := clean_text(r["text"] or ""):
                yield _ex(text, src, {"toxicity": int(r["label"])})
    with (base / "cat_small.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if text := clean_text(r["text"] or ""):
                yield _ex(text, src, {"toxicity": int(r["label_oc"])})
    with (base / "gc.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            text = clean_text(r["text"] or "")
            if text and int(r["label"]) == 0:
                yield _ex(text, src, {"toxicity": 0})
