"""Per-label combination of the linear toxicity heads and the encoder: stacking or a cascade.

Stacking: for each toxicity label, a logistic regression on two inputs, the logit of the
linear head's calibrated probability and the encoder's logit, fitted on *held-out*
predictions of both (rows neither model was trained on), so the combined score is calibrated
on data the models did not see.  Both weights are kept non-negative (an input whose fitted
weight is negative is dropped and the fit repeated), so the score never falls when either
model's score rises.

Cascade: the encoder is asked only when the linear ``toxicity`` probability lies inside
``band`` (the linear model is unsure); elsewhere every label keeps its linear probability.

The fitted parameters are a few numbers per label, stored as JSON in the manifest's
``encoder`` entry (``combination``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def fit_stack(
    p_linear: np.ndarray,
    z_encoder: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit one label's stacker; returns ``{"coef": [a_linear, a_encoder], "intercept": c}``."""
    from sklearn.linear_model import LogisticRegression

    X = np.column_stack([logit(p_linear), np.asarray(z_encoder, dtype=np.float64)])
    use = [0, 1]
    while True:
        lr = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(
            X[:, use], y, sample_weight=weights
        )
        coef = lr.coef_[0]
        if (coef >= 0).all() or len(use) == 1:
            break
        use = [u for u, c in zip(use, coef, strict=True) if c > 0] or [use[int(np.argmax(coef))]]
    full = [0.0, 0.0]
    for u, c in zip(use, coef, strict=True):
        full[u] = max(0.0, float(c))
    return {"coef": full, "intercept": float(lr.intercept_[0])}


@dataclass
class Combination:
    """The fitted combination: per-label stackers, the mode and the cascade band."""

    stack: dict[str, dict[str, Any]]
    mode: str = "stack"  # "stack": encoder on every comment; "cascade": only inside band
    band: tuple[float, float] = (0.05, 0.95)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Combination:
        """From the manifest's ``combination`` object."""
        return cls(
            stack={k: dict(v) for k, v in d["stack"].items()},
            mode=d.get("mode", "stack"),
            band=tuple(d.get("band", (0.05, 0.95))),  # type: ignore[arg-type]
            meta=dict(d.get("meta") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``combination`` object."""
        return {"mode": self.mode, "band": list(self.band), "stack": self.stack, "meta": self.meta}

    def needs_encoder(self, p_toxicity: np.ndarray) -> np.ndarray:
        """Boolean mask of the comments the encoder must read."""
        p = np.asarray(p_toxicity, dtype=np.float64)
        if self.mode != "cascade":
            return np.ones(len(p), dtype=bool)
        lo, hi = self.band
        return (p >= lo) & (p <= hi)

    def combined_logits(
        self, labels: Sequence[str], p_linear: np.ndarray, z_encoder: np.ndarray
    ) -> np.ndarray:
        """Stacked logits, shape (n, labels); labels without a stacker keep the linear logit."""
        zl = logit(p_linear)
        out = zl.copy()
        for j, label in enumerate(labels):
            s = self.stack.get(label)
            if s is not None:
                a, b = s["coef"]
                out[:, j] = a * zl[:, j] + b * z_encoder[:, j] + s["intercept"]
        return out

    def combine(
        self, labels: Sequence[str], p_linear: np.ndarray, z_encoder: np.ndarray | None
    ) -> np.ndarray:
        """Final probabilities, shape (n, labels).

        ``z_encoder`` holds the encoder logits of the rows :meth:`needs_encoder` selected (in
        order), or of every row in stack mode; ``None`` means the linear-only path.
        """
        p_linear = np.asarray(p_linear, dtype=np.float64)
        if z_encoder is None:
            return p_linear
        need = self.needs_encoder(p_linear[:, list(labels).index("toxicity")])
        out = p_linear.copy()
        if need.any():
            out[need] = sigmoid(self.combined_logits(labels, p_linear[need], z_encoder))
        return out
