"""The replay benchmark's figures (models.evaluate.replay): paired intervals and the target."""

from __future__ import annotations

import numpy as np

from models.evaluate.replay import compare_future, markdown_table, meets_target


def stream(size: int, seed: int = 0) -> tuple[list[int], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(size) < 0.3).astype(int)
    return list(y), y + rng.normal(0, 0.6, size)


def test_a_layer_that_holds_fewer_fine_comments_meets_the_target() -> None:
    y, score = stream(2000)
    shipped = score > 0.3  # holds many fine comments
    learned = (score > 0.6) | ((np.array(y) == 1) & (score > 0.3))  # as many abusive, fewer fine
    result = compare_future(y, score, score, shipped, learned)
    fine = result["fine_held"]
    assert fine["difference_ci"][1] < 0 and fine["relative"] <= -0.3
    assert result["abusive_held"]["difference"] == 0
    assert result["toxicity_auc"]["difference_ci"] == [0.0, 0.0]
    assert meets_target(result)
    table = markdown_table([{"source": "s", "future": result}])
    assert "fine held or rejected" in table and table.count("\n") == 5


def test_no_change_or_lower_recall_misses_the_target() -> None:
    y, score = stream(2000)
    held = score > 0.3
    assert not meets_target(compare_future(y, score, score, held, held))
    fewer = score > 0.9  # fewer fine held, but fewer abusive caught too
    assert not meets_target(compare_future(y, score, score, held, fewer))
