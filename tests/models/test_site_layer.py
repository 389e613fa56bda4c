"""A site's layer (models.site_layer): a few hundred decisions move it, and only where they say."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from models.artifacts import load_model_bytes, save_model
from models.site_layer import MIN_CLASS, LayeredScorer, SiteLayer, fit_thresholds, train_layer

THRESHOLDS = {"toxicity": 0.5, "insult": 0.5, "spam": 0.5}
TOPICS = ("the match", "the council vote", "the new bridge", "the budget", "the striker")


def decisions(count: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[dict[str, float]]]:
    """A site whose moderators approve "gorbly" comments the base held, and reject "zorblat"
    ones it held or missed: words the base does not know, with base scores that overlap."""
    rng = random.Random(seed)
    rows, base = [], []
    for i in range(count):
        abusive = i % 2 == 0
        word = "zorblat" if abusive else "gorbly"
        topic = rng.choice(TOPICS)
        rows.append(
            {
                "text": f"About {topic}: what a {word} take, number {i}",
                "labels": {"toxicity": int(abusive)},
            }
        )
        p = rng.uniform(0.3, 0.9)
        base.append({"spam": 0.01, "toxicity": p, "insult": 0.1})
    return rows, base


def test_a_few_hundred_decisions_move_the_layer_and_only_its_labels() -> None:
    rows, base = decisions(200)
    artifact = train_layer(rows, base, THRESHOLDS, name="site-layer/1", version="v1")
    assert artifact["labels"] == ["toxicity"]  # insult: no decisions, base score kept
    layer = SiteLayer(artifact)
    probe = [{"text": "About the budget: what a zorblat take"}, {"text": "what a gorbly take"}]
    same = [{"spam": 0.01, "toxicity": 0.6, "insult": 0.1}] * 2
    adjusted = layer.adjust(probe, same)
    assert adjusted[0]["toxicity"] > 0.8 > 0.2 > adjusted[1]["toxicity"]
    assert all(a["insult"] == 0.1 and a["spam"] == 0.01 for a in adjusted)
    # Out of fold, it holds fewer fine comments at the base's catch of abusive ones.
    metrics = artifact["metrics"]
    assert metrics["layer_abusive_caught"] >= metrics["base_abusive_caught"]
    assert metrics["layer_fine_held"] < metrics["base_fine_held"]


def test_the_layer_saves_and_loads_with_the_trusted_types(tmp_path: Any) -> None:
    rows, base = decisions(120)
    artifact = train_layer(rows, base, THRESHOLDS, name="site-layer/1", version="v1")
    sha256 = save_model(artifact, tmp_path / "layer.skops")
    loaded = SiteLayer(load_model_bytes((tmp_path / "layer.skops").read_bytes(), sha256))
    probe = [{"text": "what a zorblat take"}]
    score = [{"toxicity": 0.5}]
    assert loaded.adjust(probe, score) == SiteLayer(artifact).adjust(probe, score)


def test_too_few_decisions_are_refused_saying_how_many_are_needed() -> None:
    rows, base = decisions(2 * MIN_CLASS - 2)
    with pytest.raises(ValueError, match=f"at least {MIN_CLASS} of each"):
        train_layer(rows, base, THRESHOLDS, name="site-layer/1", version="v1")


def test_thresholds_hold_the_fewest_fine_rows_at_the_target_catch() -> None:
    # Label 0 separates the rows, label 1 does not: only label 0 is lowered.
    scores = np.array([[0.9, 0.5], [0.8, 0.5], [0.2, 0.5], [0.1, 0.5]])
    abusive = np.array([True, True, False, False])
    fixed = np.zeros(4, dtype=bool)
    cuts = fit_thresholds(scores, fixed, ~abusive, abusive, target=1.0)
    assert 0.2 < cuts[0] <= 0.8 and cuts[1] == 1.0


def test_a_layered_scorer_names_the_layer_and_uses_its_thresholds(scorer: Any) -> None:
    rows, base = decisions(120)
    layer = SiteLayer(train_layer(rows, base, THRESHOLDS, name="site-layer/7", version="v7"))
    layered = LayeredScorer(scorer, layer)
    assert layered.versions["site-layer/7"] == "v7"
    assert layered.label_models["toxicity"] == "site-layer/7"
    assert layered.label_models["spam"] == scorer.label_models["spam"]
    assert layered.thresholds["toxicity"] == layer.thresholds["toxicity"]
    comment = [{"text": "What a zorblat take on the match."}]
    mine, theirs = layered.score(comment)[0], scorer.score(comment)[0]
    assert mine["toxicity"] != theirs["toxicity"]
    assert {k: v for k, v in mine.items() if k != "toxicity"} == {
        k: v for k, v in theirs.items() if k != "toxicity"
    }


def test_undecided_approved_comments_are_learned_as_fine_and_counted_in_the_thresholds() -> None:
    rows, base = decisions(120)
    approved = [{"text": f"About {TOPICS[i % 5]}: a plain remark {i}"} for i in range(200)]
    quiet = [{"spam": 0.01, "toxicity": 0.05, "insult": 0.02}] * 200
    artifact = train_layer(
        rows,
        base,
        THRESHOLDS,
        name="site-layer/1",
        version="v1",
        approved=approved,
        approved_base=quiet,
    )
    assert artifact["training"]["approved_undecided"] == 200
    assert artifact["training"]["rows"] == 120  # the decisions; the others are not decisions
    layer = SiteLayer(artifact)
    plain = layer.adjust([{"text": "About the budget: a plain remark"}], quiet[:1])[0]
    assert plain["toxicity"] < layer.thresholds["toxicity"]
