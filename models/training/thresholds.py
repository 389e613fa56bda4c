"""Default hold thresholds chosen on the verdict: as much abuse caught as a civil budget allows.

A comment is held when ANY label reaches its threshold, so thresholds chosen one label at a time
(the F1-best of each) add up: seven labels each flagging 2% of civil comments hold far more than
2% of them (2.0 held 10 to 17% of civil news comments that way).  Here all labels are fitted
together on what a site sees: spam first, to its own small budget, then the toxicity labels
greedily (starting from nothing held, lower the threshold of whichever label buys the most
recall per civil comment newly held, counted in the union) until the civil comments held reach
the budget.

The civil comments are two halves of equal weight: the project's hand-written civil, heated,
on-topic news comments (``testsets/civil_news.jsonl``, its ``dev`` split, and the
``heated_civil`` cases of ``false_alarms.jsonl``; the ``test`` split is kept for the card), and
the clean rows of the public sources closest to civil discussion (:data:`CIVIL_SOURCES`), each
source weighing the same.  The recall is the mean over labels of each label's recall on that
label's positive rows.  Every score fed in is held out: out-of-fold for the linear models,
held-out sources and splits for the encoder's combination.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.labels import SPAM, TOXICITY_LABELS

TESTSETS = Path(__file__).resolve().parents[1] / "testsets"
# Share of civil comments the default verdict may hold or reject, on the weighted mix below
# (issue 21: at most 1.5% of civil comments). The public half is harder than civil comments
# (its "clean" rows include rude ones): at 2% of the mix the encoder-on verdict held 0.8% of
# the hand-written test split and 1.7% of the dev split; at 1.2% the functional accuracy fell
# from 0.69 to 0.65 (the card's trade-off table).
CIVIL_BUDGET = 0.02
# Of which spam may take this much: a long on-topic comment naming a product is not spam. One
# hand-written civil comment weighs ~0.2%: 0.3% left spam at 0.91 and half the link-less spam
# unflagged; 0.5% is about two of them.
SPAM_BUDGET = 0.005
# Public sources whose clean rows stand for civil discussion: talk pages, Reddit, and ParaDetox's
# neutral rewrites of rude sentences (the hardest civil text: same topic, no attack).
CIVIL_SOURCES = (
    "wikipedia-context-toxicity-cat",
    "wikipedia-toxicity-identity-subsets",
    "jigsaw-toxic-predibase-pools",
    "jigsaw-toxic-comment-subsets",
    "ruddit-reddit-offensiveness",
    "counterspeech-reddit-yu2022",
    "paradetox-parallel",
)
GRID = np.round(np.arange(0.99, 0.049, -0.01), 2)
# Never below this: a threshold of 0.05 would say more about the civil set than about the label.
# (Rare labels' calibrated scores are small: threat and severe_toxicity stop here first.)
MIN_THRESHOLD = 0.1


def civil_texts(split: str) -> list[str]:
    """The hand-written civil comments of ``split`` (``dev`` adds false_alarms' heated_civil)."""
    out = []
    with (TESTSETS / "civil_news.jsonl").open(encoding="utf-8") as fh:
        out = [r["text"] for r in map(json.loads, fh) if r.get("split") == split]
    if split == "dev":
        with (TESTSETS / "false_alarms.jsonl").open(encoding="utf-8") as fh:
            out += [r["text"] for r in map(json.loads, fh) if r["case"] == "heated_civil"]
    return out


def civil_weights(public_sources: Sequence[str], n_hand: int) -> np.ndarray:
    """Weights (summing to 1) of the public civil rows, then the ``n_hand`` hand-written ones."""
    n = Counter(public_sources)
    public = [0.5 / (len(n) * n[s]) for s in public_sources]
    hand = [0.5 / n_hand] * n_hand if n_hand else []
    w = np.array(public + hand, dtype=float)
    return w / w.sum() if w.sum() else w


def fit_thresholds(
    labels: Sequence[str],
    civil: np.ndarray,
    weights: np.ndarray,
    positives: Mapping[str, np.ndarray],
    budget: float,
    *,
    fixed: Mapping[str, float] | None = None,
    grid: np.ndarray = GRID,
) -> dict[str, float]:
    """Per-label hold thresholds whose union holds at most ``budget`` of the civil rows.

    ``civil`` (rows x labels) are the civil comments' scores and ``weights`` their weights
    (summing to 1); ``positives[label]`` the scores of that label's positive rows.  ``fixed``
    labels keep their threshold and count in the union.  A label that buys no recall keeps 1.0
    (never holds).
    """
    fixed = dict(fixed or {})
    t = {k: float(fixed.get(k, 1.0)) for k in labels}
    grid = grid[grid >= MIN_THRESHOLD]

    def recall(k: str, th: float) -> float:
        p = positives.get(k)
        return float((p >= th).mean()) if p is not None and len(p) else 0.0

    held = (civil >= np.array([t[k] for k in labels])[None, :]).any(axis=1)
    while True:
        base = float(weights[held].sum())
        best: tuple[float, str, float, np.ndarray] | None = None
        for j, k in enumerate(labels):
            if k in fixed:
                continue
            r0 = recall(k, t[k])
            for g in grid[grid < t[k]]:
                new = held | (civil[:, j] >= g)
                cost = float(weights[new].sum())
                if cost > budget:
                    break
                gain = recall(k, g) - r0
                if gain > 0:
                    ratio = gain / max(cost - base, 1e-9)
                    if best is None or ratio > best[0]:
                        best = (ratio, k, float(g), new)
        if best is None:
            break
        _, k, g, held = best
        t[k] = g
    return {k: round(v, 3) for k, v in t.items()}


def union_rate(scores: np.ndarray, labels: Sequence[str], thresholds: Mapping[str, float]) -> float:
    """Share of rows with any label at or above its threshold."""
    if not len(scores):
        return 0.0
    th = np.array([thresholds[k] for k in labels])
    return float((scores >= th[None, :]).any(axis=1).mean())


def verdict_thresholds(
    civil: np.ndarray,
    weights: np.ndarray,
    positives: Mapping[str, np.ndarray],
    *,
    budget: float = CIVIL_BUDGET,
    spam_budget: float = SPAM_BUDGET,
) -> dict[str, float]:
    """Spam's threshold to ``spam_budget``, then the toxicity labels' to ``budget`` in all.

    ``civil`` has one column per label of ``[SPAM, *TOXICITY_LABELS]``, in that order.
    """
    labels = [SPAM, *TOXICITY_LABELS]
    spam = fit_thresholds(labels[:1], civil[:, :1], weights, positives, spam_budget)
    return fit_thresholds(labels, civil, weights, positives, budget, fixed=spam)


def trade_off(
    civil: np.ndarray,
    weights: np.ndarray,
    positives: Mapping[str, np.ndarray],
    held_out_civil: np.ndarray,
    budgets: Sequence[float] = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05),
    *,
    fixed: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """The card's trade-off curve: per budget, the thresholds, the civil comments held (fitted
    and held out) and each label's recall.  Without ``fixed``, spam is fitted first
    (:func:`verdict_thresholds`); with it, those labels keep the given thresholds."""
    labels = [SPAM, *TOXICITY_LABELS]
    out = []
    for b in budgets:
        th = (
            fit_thresholds(labels, civil, weights, positives, b, fixed=fixed)
            if fixed
            else verdict_thresholds(civil, weights, positives, budget=b)
        )
        out.append(
            {
                "budget": b,
                "thresholds": th,
                "civil_held_fitted": round(float(weights[_held(civil, labels, th)].sum()), 4),
                "civil_held_test": round(union_rate(held_out_civil, labels, th), 4),
                "recall": {
                    k: round(float((positives[k] >= th[k]).mean()), 3)
                    for k in labels
                    if k in positives and len(positives[k])
                },
            }
        )
    return out


def _held(scores: np.ndarray, labels: Sequence[str], th: Mapping[str, float]) -> np.ndarray:
    return (scores >= np.array([th[k] for k in labels])[None, :]).any(axis=1)
