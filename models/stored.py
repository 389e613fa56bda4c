"""Model versions kept as bytes (in the service's database): load them, and judge them on feedback.

The service stores each trained artifact as skops bytes with its version and thresholds; this
module turns such entries back into a :class:`~models.scorer.Scorer` (through the trusted-type
loader of :mod:`models.artifacts`) and measures one artifact on moderator-labelled comments.
Nothing here knows about databases: callers pass bytes and rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.artifacts import load_model_bytes
from models.record import model_input
from models.scorer import LinearLabels, Scorer


@dataclass(frozen=True)
class StoredModel:
    """One model version as the service keeps it."""

    name: str
    version: str
    sha256: str
    artifact: bytes
    thresholds: dict[str, float] = field(default_factory=dict)


def load_artifact(model: StoredModel) -> Any:
    """The artifact in ``model.artifact``, refused if its checksum or types are not trusted."""
    return load_model_bytes(model.artifact, sha256=model.sha256)


def build_scorer(stored: Sequence[StoredModel], loaded: Mapping[str, Any] | None = None) -> Scorer:
    """A scorer over the given versions; ``loaded`` maps sha256 to artifacts already loaded."""
    loaded = loaded or {}
    artifacts = {m.name: loaded.get(m.sha256) or load_artifact(m) for m in stored}
    thresholds: dict[str, float] = {}
    for m in stored:
        thresholds.update(m.thresholds)
    manifest = {
        "models": {m.name: {"version": m.version, "sha256": m.sha256} for m in stored},
        "thresholds": thresholds,
    }
    return Scorer(artifacts, manifest, encoder=shipped_encoder())


def shipped_encoder() -> Any:
    """The shipped encoder with its combination (``models.encoder.load_encoder``), or None.

    Registry versions are linear models; the encoder is not retrained from moderators'
    labels, so every scorer uses the one in ``models/artifacts`` when the setting and the
    manifest turn it on (its stackers were fitted for the shipped linear model).
    """
    from models.artifacts import ARTIFACTS_DIR, read_manifest
    from models.encoder import encoder_setting, load_encoder

    try:
        manifest = read_manifest(ARTIFACTS_DIR)
    except FileNotFoundError:
        return None
    key = (encoder_setting(), json.dumps(manifest.get("encoder"), sort_keys=True))
    if key not in _ENCODERS:
        _ENCODERS.clear()
        _ENCODERS[key] = load_encoder(ARTIFACTS_DIR, manifest)
    return _ENCODERS[key]


# One loaded encoder per (setting, manifest entry): a promotion rebuilds the scorer, not it.
_ENCODERS: dict[tuple[str, str], Any] = {}


def evaluate_artifact(
    artifact: Mapping[str, Any], thresholds: Mapping[str, float], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Metrics of one model artifact on labelled rows (``text``, ``name``, ``email``, ``url``,
    ``labels``): per label it scores, those of ``models.evaluate`` plus accuracy; and ``score``,
    the mean ROC AUC over labels with both classes, else the mean accuracy at the thresholds,
    else None when no row has its labels.

    Higher ``score`` is better; two versions are compared on the same rows.
    """
    from models.evaluate.metrics import label_metrics

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
