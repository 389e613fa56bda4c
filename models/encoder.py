"""The fine-tuned text encoder, served with onnxruntime (no PyTorch, no tokenizers package).

A MiniLM-L6 (all-MiniLM-L6-v2 weights, fine-tuned by ``models.training.encoder_training``) with one
logit per toxicity label, exported to ONNX and quantized to int8.  :class:`Encoder` loads the
ONNX file and its ``tokenizer.json`` only after checking both against the sha256 the manifest
gives, so a tampered or truncated file is refused, never run.

The encoder reads the same text as the linear toxicity model (:func:`encoder_text`: the
normalized comment with tweet artefacts removed), cut to :data:`MAX_LEN` tokens by the
plain-Python WordPiece of :mod:`models.wordpiece` (the same ids as ``tokenizers``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.catalog import encoder_setting
from models.combine import Combination
from models.labels import TOXICITY_LABELS

MAX_LEN = 128
ONNX_FILE = "encoder.int8.onnx"
TOKENIZER_FILE = "encoder.tokenizer.json"
# Comments are scored one at a time: dynamic int8 quantization scales activations per call,
# so in a batch a comment's logits move with its batch-mates and padding (up to 0.19 measured).
# One at a time, a comment scores the same in the worker, the CLI and an explanation (at about
# twice the CPU per comment of batches of 16).
BATCH = 1


class EncoderIntegrityError(Exception):
    """An encoder file is missing or its checksum does not match the manifest."""


def encoder_text(text: str, norm: str | None = None) -> str:
    """The text the encoder reads: the normalized comment, tweet artefacts removed."""
    from models.features import tox_texts
    from models.text import normalize

    record = {"text": text, "norm": norm if norm is not None else normalize(text)}
    return " ".join(tox_texts([record])[0].split())


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _verified_bytes(path: Path, sha256: str) -> bytes:
    if not path.exists():
        raise EncoderIntegrityError(f"encoder file {path.name} is missing")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise EncoderIntegrityError(
            f"encoder file {path.name}: checksum {digest[:12]}… does not match the manifest's "
            f"{sha256[:12]}…; refusing to load"
        )
    return data


class Encoder:
    """The int8 ONNX encoder: texts in, one logit per toxicity label out.

    ``entry`` is the manifest's ``encoder`` entry: ``file``, ``sha256``, ``tokenizer``,
    ``tokenizer_sha256`` and ``labels`` (the order of the output columns).
    """

    def __init__(self, directory: Path, entry: Mapping[str, Any], threads: int = 1) -> None:
        import onnxruntime as ort

        from models.wordpiece import WordPiece

        directory = Path(directory)
        model = _verified_bytes(directory / entry["file"], entry["sha256"])
        tok = _verified_bytes(directory / entry["tokenizer"], entry["tokenizer_sha256"])
        self.labels: list[str] = list(entry.get("labels") or TOXICITY_LABELS)
        self.max_len = int(entry.get("max_len", MAX_LEN))
        self.tokenizer = WordPiece(tok.decode("utf-8"), self.max_len)
        opts = ort.SessionOptions()
        # One thread a worker: workers scale by processes, and intra-op threads of several
        # workers would fight over the same cores.
        opts.intra_op_num_threads = int(os.environ.get("MODERATION_ENCODER_THREADS", threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Logits, shape (len(texts), len(labels)), for texts already in :func:`encoder_text`
        form."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        if not texts:
            return out
        encs = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(e) for e in encs], kind="stable")
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            width = max(len(encs[i]) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i])
                ids[row, :n] = encs[i]
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out[idx] = self.session.run(["logits"], feed)[0]
        return out


class EncoderStack:
    """The encoder with its fitted combination: what the scorer asks for the toxicity labels."""

    def __init__(
        self,
        encoder: Encoder,
        combination: Combination,
        version: str,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.encoder = encoder
        self.combination = combination
        self.version = version
        # The combined scores' own hold thresholds (fitted on the verdict like the linear
        # ones): they travel with the encoder, so every scorer that combines applies them.
        self.thresholds = {k: float(v) for k, v in (thresholds or {}).items()}

    def proba(
        self, labels: Sequence[str], p_linear: np.ndarray, records: Sequence[Mapping[str, Any]]
    ) -> np.ndarray:
        """Combined probabilities, shape (n, labels), from the linear ones and the encoder.

        The encoder reads only the comments the combination needs (all of them when stacking,
        the unsure ones in a cascade); a label the encoder does not score keeps its linear
        probability.
        """
        labels = list(labels)
        p_linear = np.asarray(p_linear, dtype=np.float64)
        need = self.combination.needs_encoder(p_linear[:, labels.index("toxicity")])
        z = np.zeros((int(need.sum()), len(labels)))
        if need.any():
            texts = [
                encoder_text(r["text"], r["norm"]) for r, n in zip(records, need, strict=True) if n
            ]
            raw = self.encoder.logits(texts)
            for j, label in enumerate(labels):
                if label in self.encoder.labels:
                    z[:, j] = raw[:, self.encoder.labels.index(label)]
        return self.combination.combine(labels, p_linear, z)


def load_encoder(directory: Path, manifest: Mapping[str, Any]) -> EncoderStack | None:
    """The manifest's encoder with its combination, or None (none shipped, or the setting is
    ``off``).  A file whose checksum does not match raises :class:`EncoderIntegrityError`."""
    entry = manifest.get("encoder")
    setting = encoder_setting()
    if setting == "on" and entry:
        # The manifest says whether the encoder is on by default (see the model card).
        setting = entry.get("default", "on")
    if not entry or setting == "off":
        return None
    combination = Combination.from_json(entry["combination"])
    if setting in ("stack", "cascade"):
        combination.mode = setting
    return EncoderStack(
        Encoder(Path(directory), entry), combination, entry["version"], entry.get("thresholds")
    )
