"""Held-out evaluation of the encoder and its combination with the linear models.

What is held out (the encoder is too slow to train once per source on 2 cores): the evaluation
encoder (``models.training.encoder_training --run eval``) never saw Civil Comments, Davidson or
Kaggle insults (:data:`~models.training.encoder_data.EVAL_HELD_OUT`), nor a fixed 20 % of every
other source (by text hash).  The linear 1.2.0 recipe and the plain TF-IDF + LR baseline are fitted
here on exactly the rows the evaluation encoder could have been trained on (all of its candidate
rows, not only its sample), and all models are scored on the same held-out rows. For the three
held-out sources the figures are out-of-source for every model (leave three sources out); for the
others they are a within-source split, marked as such.

The stacker used for a source's figures is fitted on the held-out predictions of the *other*
sources only (cross-fitted by source); the shipped stacker is fitted on all of them.

``python -m models.evaluate.encoder --eval-encoder DIR --out FILE`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from models.combine import Combination, fit_stack
from models.encoder import Encoder, encoder_text, sha256_file
from models.labels import TOXICITY_LABELS
from models.training.datasets import NEWS_SOURCE, Example, default_data_dir, load_all
from models.training.encoder_data import EVAL_HELD_OUT, split_rows
from models.training.sampling import sample_per_source

log = logging.getLogger(__name__)

# Held-out rows scored per source (Civil Comments: all of them).
TEST_CAP = 3000
CASCADE_BANDS = ((0.02, 0.98), (0.05, 0.95), (0.1, 0.9), (0.2, 0.8))


def cap_rows(rows: Sequence[Example], seed: int = 0) -> list[Example]:
    """At most :data:`TEST_CAP` rows per source (all of Civil Comments), reproducibly."""
    return sample_per_source(rows, lambda src: None if src == NEWS_SOURCE else TEST_CAP, seed)


def eval_encoder(directory: Path) -> Encoder:
    """The evaluation encoder in ``directory`` (checked against the checksums of its files)."""
    from models.encoder import ONNX_FILE, TOKENIZER_FILE

    entry = {
        "file": ONNX_FILE,
        "tokenizer": TOKENIZER_FILE,
        "sha256": sha256_file(directory / ONNX_FILE),
        "tokenizer_sha256": sha256_file(directory / TOKENIZER_FILE),
        "labels": list(TOXICITY_LABELS),
    }
    return Encoder(directory, entry, threads=2)


def linear_and_baseline(
    train: Sequence[Example], test: Sequence[Example], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The 1.2.0 linear recipe and the plain baseline fitted on ``train``, scored on ``test``."""
    from models.evaluate.references import PlainBaseline
    from models.scorer import LinearLabels
    from models.training.train import to_record, train_toxicity

    t0 = time.time()
    art, _, _ = train_toxicity(train, seed)
    linear = LinearLabels(art)
    P = linear.proba([to_record(r) for r in test])
    log.info("linear fitted and scored in %.0fs", time.time() - t0)
    t0 = time.time()
    base = PlainBaseline(train, TOXICITY_LABELS).proba([r.text for r in test])
    log.info("baseline fitted and scored in %.0fs", time.time() - t0)
    cols = {k: j for j, k in enumerate(linear.labels)}
    nan = np.full(len(test), 0.5)
    return (
        np.column_stack([P[:, cols[k]] for k in TOXICITY_LABELS]),
        np.column_stack([base.get(k, nan) for k in TOXICITY_LABELS]),
    )


def heldout_predictions(
    data_dir: Path, encoder_dir: Path, seed: int = 0, cache: Path | None = None
) -> dict[str, Any]:
    """Linear, baseline and encoder scores on the held-out rows (see the module docstring).

    ``cache`` (an ``.npz``) keeps the linear and baseline scores, which do not depend on the
    encoder: a second run with a new evaluation encoder only scores the encoder.
    """
    rows = load_all(data_dir)
    train, test = split_rows(rows, "eval")
    test = cap_rows(test, seed)
    if cache is not None and cache.exists():
        saved = np.load(cache)
        L, B = saved["linear"], saved["baseline"]
        if len(L) != len(test):
            raise ValueError(f"{cache} holds {len(L)} rows, the held-out set has {len(test)}")
    else:
        L, B = linear_and_baseline(train, test, seed)
        if cache is not None:
            np.savez_compressed(cache, linear=L, baseline=B)
    t0 = time.time()
    enc = eval_encoder(encoder_dir)
    Z = enc.logits([encoder_text(r.text) for r in test])
    log.info("encoder scored %d rows in %.0fs", len(test), time.time() - t0)
    return {"rows": test, "linear": L, "baseline": B, "encoder": Z}


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    if len(y) == 0 or y.min() == y.max():
        return None
    return round(float(roc_auc_score(y, p)), 4)


def _labelled(rows: Sequence[Example], label: str) -> tuple[np.ndarray, np.ndarray]:
    idx = np.array([i for i, r in enumerate(rows) if label in r.labels], dtype=int)
    y = np.array([rows[i].labels[label] for i in idx], dtype=int)
    return idx, y


def fit_combination(
    rows: Sequence[Example],
    linear: np.ndarray,
    encoder: np.ndarray,
    keep: np.ndarray | None = None,
    mode: str = "stack",
    band: tuple[float, float] = (0.05, 0.95),
) -> Combination:
    """Stackers fitted on the rows in ``keep``, each source weighted equally."""
    stack = {}
    for j, label in enumerate(TOXICITY_LABELS):
        idx, y = _labelled(rows, label)
        if keep is not None:
            m = keep[idx]
            idx, y = idx[m], y[m]
        if len(idx) == 0 or y.min() == y.max():
            continue
        src = [rows[i].source for i in idx]
        n = Counter(src)
        w = np.array([len(idx) / (len(n) * n[s]) for s in src])
        stack[label] = fit_stack(linear[idx, j], encoder[idx, j], y, w)
    return Combination(stack=stack, mode=mode, band=band)


def per_source(pred: dict[str, Any]) -> dict[str, Any]:
    """Per source and label: ROC AUC of each model and of the cross-fitted combinations."""
    rows = pred["rows"]
    L, B, Z = pred["linear"], pred["baseline"], pred["encoder"]
    sources = np.array([r.source for r in rows])
    order = [NEWS_SOURCE, *sorted(set(sources.tolist()) - {NEWS_SOURCE})]
    out: dict[str, Any] = {}
    tj = TOXICITY_LABELS.index("toxicity")
    for src in order:
        if src not in set(sources.tolist()):
            continue
        mine = sources == src
        comb = fit_combination(rows, L, Z, keep=~mine)
        S = comb.combine(TOXICITY_LABELS, L[mine], Z[mine])
        cascades = {}
        for band in CASCADE_BANDS:
            c = Combination(stack=comb.stack, mode="cascade", band=band)
            need = c.needs_encoder(L[mine][:, tj])
            cascades[band] = (c.combine(TOXICITY_LABELS, L[mine], Z[mine][need]), need.mean())
        res: dict[str, Any] = {
            "held_out_for_encoder": src in EVAL_HELD_OUT,
            "rows": int(mine.sum()),
        }
        sub = [rows[i] for i in np.flatnonzero(mine)]
        for j, label in enumerate(TOXICITY_LABELS):
            idx, y = _labelled(sub, label)
            if len(idx) == 0 or y.min() == y.max():
                continue
            lm, bm, zm = L[mine][idx, j], B[mine][idx, j], Z[mine][idx, j]
            res[label] = {
                "n": len(idx),
                "positives": int(y.sum()),
                "linear": _auc(y, lm),
                "baseline": _auc(y, bm),
                "encoder": _auc(y, zm),
                "stack": _auc(y, S[idx, j]),
                "cascade": {
                    f"{lo}-{hi}": {
                        "roc_auc": _auc(y, P[idx, j]),
                        "encoder_share": round(float(s), 3),
                    }
                    for (lo, hi), (P, s) in cascades.items()
                },
            }
        out[src] = res
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.evaluate.encoder --eval-encoder DIR --out FILE [--combination FILE]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--eval-encoder", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--combination", type=Path, default=None, help="write the fitted stackers")
    ap.add_argument("--cache", type=Path, default=None, help="npz of the linear/baseline scores")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    pred = heldout_predictions(a.data, a.eval_encoder, cache=a.cache)
    figures = per_source(pred)
    a.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if a.combination:
        comb = fit_combination(pred["rows"], pred["linear"], pred["encoder"])
        a.combination.write_text(json.dumps(comb.to_json(), indent=1), encoding="utf-8")
    print(json.dumps({s: f.get("toxicity") for s, f in figures.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


IDENTITY_SET = "identity_templates.jsonl"
MODES = ("off", "stack", "cascade")


def identity_false_alarms(scorer: Any, cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of the identity-term templates (group mentions, no attack) flagged for
    ``toxicity`` or ``identity_attack`` at the shipped thresholds, and the worst groups."""
    from models.record import CommentRecord

    scores = scorer.score([CommentRecord.from_fields(c) for c in cases])
    th = scorer.thresholds
    flagged = [
        s["toxicity"] >= th["toxicity"] or s["identity_attack"] >= th["identity_attack"]
        for s in scores
    ]
    by_group: dict[str, list[bool]] = defaultdict(list)
    for c, f in zip(cases, flagged, strict=True):
        by_group[c["group"]].append(f)
    worst = sorted(by_group, key=lambda g: -sum(by_group[g]))[:5]
    return {
        "n": len(cases),
        "false_alarm_rate": round(sum(flagged) / len(cases), 4),
        "worst_groups": {g: f"{sum(by_group[g])}/{len(by_group[g])}" for g in worst},
        "examples": [c["text"] for c, f in zip(cases, flagged, strict=True) if f][:5],
    }


def shipped_modes(artifacts_dir: Path) -> dict[str, Any]:
    """The shipped artifacts with the encoder off, stacked and as a cascade: identity-term
    false alarms and accuracy per case type of the functional set."""
    from models.evaluate import cases

    identity = cases.read_jsonl(cases.TESTSETS / IDENTITY_SET)
    out: dict[str, Any] = {}
    for mode, scorer in cases.shipped_modes(Path(artifacts_dir), MODES):
        functional = cases.case_sets(artifacts_dir)["functional"]["per_case"]
        out[mode] = {
            "identity_templates": identity_false_alarms(scorer, identity),
            "functional": {k: v["accuracy"] for k, v in functional.items()},
        }
    return out


def encoder_results(data_dir: Path, artifacts_dir: Path, seed: int = 0) -> dict[str, Any] | None:
    """Everything the card says about the encoder: held-out figures per source and the
    shipped modes on the hand-written sets; None when ``artifacts_dir/eval`` has no encoder."""
    from models.artifacts import read_manifest
    from models.encoder import ONNX_FILE

    # Since encoder 3.0 the shipped encoder is the evaluation run's own (eval_is_shipped).
    shipped = (read_manifest(artifacts_dir).get("encoder") or {}).get("eval_is_shipped")
    eval_dir = Path(artifacts_dir) if shipped else Path(artifacts_dir) / "eval"

    if not (eval_dir / ONNX_FILE).exists():
        return None
    pred = heldout_predictions(data_dir, eval_dir, seed)
    return {"per_source": per_source(pred), "modes": shipped_modes(Path(artifacts_dir))}
