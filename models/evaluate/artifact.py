"""One stored model version judged on moderator-labelled comments (promotion and rollback).

Callers pass the artifact (as :func:`models.stored.load_artifact` returns it) and rows; nothing
here knows about databases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.evaluate.metrics import label_metrics
from models.record import model_input
from models.scorer import LinearLabels


def evaluate_artifact(
    artifact: Mapping[str, Any], thresholds: Mapping[str, float], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Metrics of one model artifact on labelled rows (``text``, ``name``, ``email``, ``url``,
    ``labels``): per label it scores, those of ``models.evaluate`` plus accuracy; and ``score``,
    the mean ROC AUC over labels with both classes, else the mean accuracy at the thresholds,
    else None when no row has its labels.

    Higher ``score`` is better; two versions are compared on the same rows.
    """
    model = LinearLabels(artifact)
    per_label: dict[str, Any] = {}
    usable = [r for r in rows if any(k in model.labels for k in r.get("labels", {}))]
    if usable:
        probabilities = model.proba([model_input(r) for r in usable])
        for j, label in enumerate(model.labels):
            picked = [i for i, r in enumerate(usable) if label in r["labels"]]
            if not picked:
                continue
            y = np.array([usable[i]["labels"][label] for i in picked], dtype=int)
            p = probabilities[picked, j]
            threshold = float(thresholds.get(label, 0.5))
            per_label[label] = label_metrics(y, p, threshold)
            per_label[label]["accuracy"] = round(float(np.mean((p >= threshold) == (y == 1))), 4)
    aucs = [m["roc_auc"] for m in per_label.values() if m["roc_auc"] is not None]
    accuracies = [m["accuracy"] for m in per_label.values()]
    score = np.mean(aucs) if aucs else (np.mean(accuracies) if accuracies else None)
    return {
        "rows": len(usable),
        "labels": per_label,
        "score": None if score is None else round(float(score), 4),
        "measure": "roc_auc" if aucs else ("accuracy" if accuracies else None),
    }


def compare_artifacts(
    candidate: Mapping[str, Any],
    candidate_thresholds: Mapping[str, float],
    active: Mapping[str, Any],
    active_thresholds: Mapping[str, float],
    rows: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The promotion gate's comparison (``models.evaluate.gate.compare``) of two versions of one
    model on the rows that know any of its labels."""
    from models.evaluate.gate import compare

    new, old = LinearLabels(candidate), LinearLabels(active)
    labels = [label for label in new.labels if label in old.labels]
    usable = [r for r in rows if any(k in labels for k in r.get("labels", {}))]
    truth = np.array(
        [[r["labels"].get(label, np.nan) for label in labels] for r in usable], dtype=float
    ).reshape(len(usable), len(labels))
    records = [model_input(r) for r in usable]

    def probabilities(model: LinearLabels) -> np.ndarray:
        if not records:
            return np.zeros((0, len(labels)))
        p = model.proba(records)
        return p[:, [model.labels.index(label) for label in labels]]

    return compare(
        labels,
        truth,
        probabilities(new),
        probabilities(old),
        candidate_thresholds,
        active_thresholds,
    )
