"""The promotion gate (models.evaluate.gate): it refuses what it cannot tell, or what is worse."""

from __future__ import annotations

import numpy as np

from models.evaluate.gate import MIN_POSITIVES, compare, refusal

NAN = np.nan
HALF = {"toxicity": 0.5, "identity_attack": 0.5}


def rows(fine: int, abusive: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truth (toxicity known on every row), a candidate that ranks them right, an active that
    guesses: abusive rows the active version missed are what the candidate learned."""
    rng = np.random.default_rng(seed)
    y = np.array([0] * fine + [1] * abusive, dtype=float)
    truth = np.column_stack([y, np.full(y.size, NAN)])
    good = np.column_stack([np.where(y == 1, 0.8, 0.2) + rng.normal(0, 0.05, y.size)] * 2)
    guess = np.column_stack([rng.uniform(0, 0.6, y.size)] * 2)
    return truth, good, guess


def judge(truth: np.ndarray, candidate: np.ndarray, active: np.ndarray) -> str | None:
    labels = ["toxicity", "identity_attack"]
    return refusal(compare(labels, truth, candidate, active, HALF, HALF), "toxicity", "tox-2")


def test_a_measurably_better_candidate_passes() -> None:
    truth, good, guess = rows(40, 40)
    comparison = compare(["toxicity", "identity_attack"], truth, good, guess, HALF, HALF)
    toxicity = comparison["labels"]["toxicity"]
    assert toxicity["judged"] and toxicity["ci"][0] > 0
    assert comparison["verdict"]["abusive_caught"]["difference"] > 0  # missed abuse now caught
    assert comparison["verdict"]["fine_held"]["candidate"] == 0
    assert refusal(comparison, "toxicity", "tox-2") is None


def test_too_few_rows_to_tell_is_refused_saying_how_many_are_needed() -> None:
    truth, good, guess = rows(MIN_POSITIVES + 5, MIN_POSITIVES - 1)
    reason = judge(truth, good, guess)
    assert reason is not None and "too few" in reason
    assert f"{MIN_POSITIVES - 1} abusive" in reason and f"at least {MIN_POSITIVES}" in reason
    assert "too few" in (judge(*rows(0, 0)) or "")


def test_a_worse_candidate_is_refused() -> None:
    truth, good, guess = rows(40, 40)
    reason = judge(truth, guess, good)
    assert reason is not None and "worse" in reason and "toxicity AUC" in reason


def test_an_equal_candidate_is_not_measurably_better() -> None:
    truth, good, _ = rows(40, 40)
    reason = judge(truth, good, good.copy())
    assert reason is not None and "not measurably better" in reason


def test_a_label_is_judged_only_with_enough_positives() -> None:
    # identity_attack: 5 rows, 1 positive, where the candidate looks far worse. Not judged.
    truth, good, guess = rows(40, 40)
    truth[:5, 1] = [0, 0, 0, 0, 1]
    good[:5, 1] = [0.9, 0.9, 0.9, 0.9, 0.1]
    comparison = compare(["toxicity", "identity_attack"], truth, good, guess, HALF, HALF)
    attack = comparison["labels"]["identity_attack"]
    assert attack["positives"] == 1 and not attack["judged"]
    assert attack["difference"] < 0  # measured and shown, but it does not decide
    assert refusal(comparison, "toxicity", "tox-2") is None
    # Without the better label, nothing judged can tell: refused, naming what was not judged.
    only = compare(["identity_attack"], truth[:, 1:], good[:, 1:], guess[:, 1:], HALF, HALF)
    reason = refusal(only, "toxicity", "tox-2") or ""
    assert "too few" in reason  # 5 rows: 4 fine, 1 abusive
