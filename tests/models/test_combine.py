"""The per-label combination of linear and encoder scores."""

from __future__ import annotations

import numpy as np

from models.combine import Combination, fit_stack, logit, sigmoid
from models.labels import TOXICITY_LABELS


def _data(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    z_lin = 1.0 * (2 * y - 1) + rng.normal(0, 1.5, n)
    z_enc = 1.5 * (2 * y - 1) + rng.normal(0, 1.5, n)
    return sigmoid(z_lin), z_enc, y


def _combination(mode: str = "stack") -> Combination:
    p, z, y = _data()
    s = fit_stack(p, z, y)
    return Combination(stack=dict.fromkeys(TOXICITY_LABELS, s), mode=mode, band=(0.1, 0.9))


def test_stack_uses_both_models_and_is_calibrated() -> None:
    p, z, y = _data()
    s = fit_stack(p, z, y)
    assert s["coef"][0] > 0 and s["coef"][1] > 0
    q = sigmoid(s["coef"][0] * logit(p) + s["coef"][1] * z + s["intercept"])
    # Calibrated: the mean probability in each decile is close to the positive rate there.
    order = np.argsort(q)
    for part in np.array_split(order, 10):
        assert abs(q[part].mean() - y[part].mean()) < 0.08


def test_negative_weight_is_dropped() -> None:
    p, _, y = _data()
    anti = -(2 * y - 1) * 2.0 + np.random.default_rng(1).normal(0, 1, len(y))
    s = fit_stack(p, anti, y)
    assert s["coef"][1] == 0.0 and s["coef"][0] > 0


def test_output_in_unit_interval_and_monotone() -> None:
    comb = _combination()
    k = len(TOXICITY_LABELS)
    grid = np.linspace(0.0, 1.0, 21)
    p = np.repeat(grid[:, None], k, axis=1)
    for z in (-50.0, -3.0, 0.0, 3.0, 50.0):
        out = comb.combine(TOXICITY_LABELS, p, np.full((len(grid), k), z))
        assert np.all((out >= 0) & (out <= 1)) and np.all(np.isfinite(out))
        assert np.all(np.diff(out[:, 0]) >= 0), "must not fall when the linear score rises"
    zs = np.linspace(-10, 10, 21)
    out = comb.combine(TOXICITY_LABELS, np.full((21, k), 0.5), np.repeat(zs[:, None], k, axis=1))
    assert np.all(np.diff(out[:, 0]) >= 0), "must not fall when the encoder score rises"


def test_linear_only_path_returns_linear_scores() -> None:
    comb = _combination()
    p = np.random.default_rng(2).random((5, len(TOXICITY_LABELS)))
    assert np.array_equal(comb.combine(TOXICITY_LABELS, p, None), p)


def test_cascade_asks_encoder_only_when_unsure() -> None:
    comb = _combination("cascade")
    k = len(TOXICITY_LABELS)
    p = np.full((3, k), 0.5)
    p[:, 0] = [0.01, 0.5, 0.99]
    need = comb.needs_encoder(p[:, 0])
    assert need.tolist() == [False, True, False]
    out = comb.combine(TOXICITY_LABELS, p, np.full((1, k), 8.0))
    assert out[0, 0] == 0.01 and out[2, 0] == 0.99 and out[1, 0] > 0.5


def test_round_trips_through_json() -> None:
    comb = _combination("cascade")
    again = Combination.from_json(comb.to_json())
    assert again.stack == comb.stack and again.mode == "cascade" and again.band == (0.1, 0.9)
