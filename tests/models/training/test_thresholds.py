"""The default thresholds are fitted on the verdict: the union of labels, not each label alone."""

from __future__ import annotations

import numpy as np

from models.labels import SPAM, TOXICITY_LABELS
from models.training import thresholds as vt


def _scores(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    return np.clip(rng.normal(mean, 0.15, size=n), 0, 1)


def test_the_union_of_labels_stays_within_the_civil_budget() -> None:
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c"]
    # Each label alone flags a different civil row: per-label thresholds would add up.
    civil = np.column_stack([_scores(rng, 4000, 0.2) for _ in labels])
    weights = np.full(len(civil), 1 / len(civil))
    positives = {k: _scores(rng, 500, 0.7) for k in labels}
    th = vt.fit_thresholds(labels, civil, weights, positives, budget=0.02)
    assert vt.union_rate(civil, labels, th) <= 0.02
    # Alone, each threshold holds less than the budget: the union is what was budgeted.
    alone = [float((civil[:, j] >= th[k]).mean()) for j, k in enumerate(labels)]
    assert sum(alone) > 0.02 * 0.9 and max(alone) < 0.02


def test_a_label_that_buys_nothing_never_holds() -> None:
    rng = np.random.default_rng(1)
    civil = np.column_stack([_scores(rng, 1000, 0.2), _scores(rng, 1000, 0.2)])
    weights = np.full(1000, 1 / 1000)
    positives = {"useful": _scores(rng, 300, 0.8), "useless": np.array([])}
    th = vt.fit_thresholds(["useful", "useless"], civil, weights, positives, budget=0.05)
    assert th["useless"] == 1.0
    assert th["useful"] < 1.0


def test_spam_gets_its_own_small_share_first() -> None:
    rng = np.random.default_rng(2)
    labels = [SPAM, *TOXICITY_LABELS]
    civil = np.column_stack([_scores(rng, 5000, 0.25) for _ in labels])
    weights = np.full(5000, 1 / 5000)
    positives = {k: _scores(rng, 400, 0.75) for k in labels}
    th = vt.verdict_thresholds(civil, weights, positives, budget=0.015, spam_budget=0.003)
    assert float((civil[:, 0] >= th[SPAM]).mean()) <= 0.003
    assert vt.union_rate(civil, labels, th) <= 0.015
    assert all(v >= vt.MIN_THRESHOLD for v in th.values())


def test_hand_written_civil_comments_weigh_half() -> None:
    w = vt.civil_weights(["x"] * 900 + ["y"] * 100, n_hand=50)
    assert np.isclose(w.sum(), 1.0)
    assert np.isclose(w[:900].sum(), 0.25) and np.isclose(w[900:1000].sum(), 0.25)
    assert np.isclose(w[1000:].sum(), 0.5)


def test_the_civil_sets_split_into_dev_and_test() -> None:
    dev, test = vt.civil_texts("dev"), vt.civil_texts("test")
    assert len(dev) >= 240 and len(test) >= 240
    assert not set(dev) & set(test)
