"""Export a fine-tuned encoder to int8 ONNX, and its PyTorch logits to check the export against.

Training only (PyTorch, the ``train`` extra, imported inside the functions).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.encoder import MAX_LEN, ONNX_FILE, TOKENIZER_FILE
from models.training.encoder_model import base_model_dir, build_model


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
