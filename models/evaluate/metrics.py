"""The measures every evaluation reports: ranking, thresholded and calibration figures.

Pure functions of labels ``y`` (0/1) and scores ``p``; figures are rounded to 4 places, and a
ranking measure of a set with one class only is None (undefined), not 0 or 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)


def safe_metric(
    fn: Callable[[np.ndarray, np.ndarray], float], y: np.ndarray, p: np.ndarray
) -> float | None:
    """``fn(y, p)`` rounded, or None when ``y`` holds one class only."""
    if len(set(y.tolist())) < 2:
        return None
    return round(float(fn(y, p)), 4)


def ranking(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    """ROC AUC and PR AUC (average precision)."""
    return {
        "roc_auc": safe_metric(roc_auc_score, y, p),
        "pr_auc": safe_metric(average_precision_score, y, p),
    }


def label_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """ROC AUC, PR AUC and precision/recall/F1 at ``threshold``."""
    pred = p >= threshold
    return {
        "n": len(y),
        "pos": int(y.sum()),
        **ranking(y, p),
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "threshold": threshold,
    }


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error, Brier score and a reliability table (equal-width bins)."""
    edges = np.linspace(0, 1, bins + 1)
    table = []
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if m.sum() == 0:
            continue
        conf, acc = float(p[m].mean()), float(y[m].mean())
        ece += m.mean() * abs(conf - acc)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_p": conf, "rate": acc})
    brier = float(np.mean((p - y) ** 2))
    return {"ece": round(ece, 4), "brier": round(brier, 4), "table": table}
