"""Held-out experiments on public data: every figure comes from a model that did not see the source.

* toxicity, **leave-one-source-out** (:func:`loso_toxicity`): for every source group, a model with
  the shipped configuration is trained on all the other groups and scored on the held-out one,
  next to the references of :mod:`models.evaluate.references`;
* spam, **leave-one-video-out** on the YouTube collection (:func:`lovo_spam`; SMS and the weak
  negatives always in training);
* obfuscation: a sample of the same held-out rows perturbed with ``models.training.perturb``;
* calibration of the pooled held-out scores.

A new data source needs nothing here: every group of the public sources of
:data:`models.training.datasets.SOURCES` is held out in turn (hand-written rows are always in
training and never held out).
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from models.evaluate.metrics import calibration, label_metrics, ranking
from models.evaluate.references import SPAM_REFERENCES, TOXICITY_REFERENCES, Fit, perturbed
from models.scorer import LinearLabels
from models.training.datasets import PUBLIC, SOURCES, TOX_LABELS, Example
from models.training.train import to_record, train_spam, train_toxicity

PUBLIC_GROUPS = {SOURCES[s].group for s in PUBLIC}
# Perturbed copies per held-out source (a sample keeps the run on two cores reasonable).
PERTURB_ROWS = 3000


def _references(
    fits: dict[str, Fit], rows: Sequence[Example], labels: Sequence[str], texts: Sequence[str]
) -> tuple[dict[str, Callable[[Sequence[str]], dict[str, np.ndarray]]], dict[str, Any]]:
    """Each reference fitted on ``rows``, and its scores on ``texts``."""
    predictors = {name: fit(rows, labels) for name, fit in fits.items()}
    return predictors, {name: predict(texts) for name, predict in predictors.items()}


def _reference_metrics(
    scores: dict[str, dict[str, np.ndarray]], label: str, y: np.ndarray, ii: np.ndarray
) -> dict[str, float | None]:
    """``<name>_roc_auc`` and ``<name>_pr_auc`` of every reference that scores ``label``."""
    out: dict[str, float | None] = {}
    for name, by_label in scores.items():
        if label in by_label:
            for key, value in ranking(y, by_label[label][ii]).items():
                out[f"{name}_{key}"] = value
    return out


def _obfuscation(
    y: np.ndarray,
    ours: tuple[np.ndarray, np.ndarray],
    references: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, float | None]:
    """ROC AUC of ours and of each reference on held-out rows and on their perturbed copies."""
    out: dict[str, float | None] = {}
    for name, (plain, obfuscated) in {"ours": ours, **references}.items():
        out[name] = ranking(y, plain)["roc_auc"]
        out[f"{name}_perturbed"] = ranking(y, obfuscated)["roc_auc"]
    return out


def loso_toxicity(
    rows: Sequence[Example],
    thresholds: dict[str, float],
    seed: int = 0,
    groups: Sequence[str] | None = None,
    log: Any = print,
    progress_path: Path | None = None,
) -> dict[str, Any]:
    """Leave-one-source-group-out for the toxicity labels; per-source metrics and raw scores.

    ``progress_path`` receives the figures so far after every fold (a long run that is cut
    short still leaves its completed folds).
    """
    trows = [r for r in rows if any(k in r.labels for k in TOX_LABELS)]
    # Hand-written rows are always in training and never held out: figures are on public data.
    all_groups = sorted({r.group for r in trows if r.group in PUBLIC_GROUPS})
    per_source: dict[str, dict[str, Any]] = {}
    pooled: dict[str, list[tuple[int, float]]] = defaultdict(list)
    obf: dict[str, Any] = {}
    for g in groups or all_groups:
        t0 = time.time()
        train = [r for r in trows if r.group != g]
        test = [r for r in trows if r.group == g]
        art, _, _ = train_toxicity(train, seed)
        model = LinearLabels(art)
        texts = [r.text for r in test]
        P = model.proba([to_record(r) for r in test])
        predictors, refs = _references(TOXICITY_REFERENCES, train, TOX_LABELS, texts)
        # Obfuscation: a sample of the held-out rows, perturbed.
        rng = random.Random(seed)
        sample = rng.sample(range(len(test)), min(PERTURB_ROWS, len(test)))
        ptexts = perturbed([texts[i] for i in sample], seed)
        Pp = model.proba([to_record({"text": t}) for t in ptexts])
        prefs = {name: predict(ptexts) for name, predict in predictors.items()}
        for src in sorted({r.source for r in test}):
            si = np.array([i for i, r in enumerate(test) if r.source == src])
            res: dict[str, Any] = {}
            for j, label in enumerate(model.labels):
                ii = np.array([i for i in si if label in test[i].labels], dtype=int)
                if len(ii) == 0:
                    continue
                y = np.array([test[i].labels[label] for i in ii])
                m = label_metrics(y, P[ii, j], thresholds.get(label, 0.5))
                m.update(_reference_metrics(refs, label, y, ii))
                res[label] = m
                pooled[label].extend(zip(y.tolist(), P[ii, j].tolist(), strict=True))
                if label == "toxicity":
                    sp_ = [k for k, i in enumerate(sample) if test[i].source == src]
                    yp = np.array([test[sample[k]].labels.get(label, -1) for k in sp_])
                    keep = yp >= 0
                    sp_arr = np.array(sp_, dtype=int)[keep]
                    yp = yp[keep]
                    orig_idx = np.array([sample[k] for k in sp_arr], dtype=int)
                    obf[src] = {
                        "n": len(yp),
                        **_obfuscation(
                            yp,
                            (P[orig_idx, j], Pp[sp_arr, j]),
                            {
                                name: (refs[name][label][orig_idx], prefs[name][label][sp_arr])
                                for name in refs
                                if label in refs[name]
                            },
                        ),
                    }
            per_source[src] = res
        log(f"  held out {g}: {len(test)} rows, {time.time() - t0:.0f}s")
        if progress_path is not None:
            progress_path.write_text(json.dumps({"per_source": per_source, "obfuscation": obf}))
    cal = {}
    for label, pairs in pooled.items():
        y = np.array([a for a, _ in pairs])
        p = np.array([b for _, b in pairs])
        if len(set(y.tolist())) == 2:
            cal[label] = calibration(y, p)
    return {"per_source": per_source, "obfuscation": obf, "calibration": cal}


YOUTUBE_SOURCES = ("youtube-spam-collection", "youtube-spam-2014-pilot")


def lovo_spam(
    rows: Sequence[Example],
    threshold: float,
    seed: int = 0,
    log: Any = print,
    lists_dir: Path | None = None,
) -> dict[str, Any]:
    """Leave-one-video-out for spam on YouTube; SMS, e-mail and weak negatives stay in training
    (and the public spam lists of ``lists_dir``, as `moderation train` has them).

    The seven videos of the collection and the 2014 pilot: a video both sets have (Psy, Katy
    Perry) is held out with the comments of both.
    """
    videos = sorted({r.video for r in rows if r.source in YOUTUBE_SOURCES})
    out: dict[str, Any] = {"per_video": {}, "obfuscation": {}}
    ys, ps = [], []
    for v in videos:
        train = [r for r in rows if not (r.source in YOUTUBE_SOURCES and r.video == v)]
        test = [r for r in rows if r.source in YOUTUBE_SOURCES and r.video == v]
        art, _, srows = train_spam(train, seed, lists_dir=lists_dir)
        model = LinearLabels(art)
        texts = [r.text for r in test]
        y = np.array([r.labels["spam"] for r in test])
        p = model.proba([to_record(r) for r in test])[:, 0]
        predictors, refs = _references(SPAM_REFERENCES, srows, ("spam",), texts)
        m = label_metrics(y, p, threshold)
        m.update(_reference_metrics(refs, "spam", y, np.arange(len(y))))
        m["baseline_f1@0.5"] = round(float(f1_score(y, refs["baseline"]["spam"] >= 0.5)), 4)
        out["per_video"][v] = m
        ptexts = perturbed(texts, seed)
        recs = [to_record({"text": t, "name": r.name}) for t, r in zip(ptexts, test, strict=True)]
        pp = model.proba(recs)[:, 0]
        out["obfuscation"][v] = _obfuscation(
            y,
            (p, pp),
            {
                name: (refs[name]["spam"], predict(ptexts)["spam"])
                for name, predict in predictors.items()
            },
        )
        ys.append(y)
        ps.append(p)
        log(f"  held out video {v}: {len(test)} rows")
    out["calibration"] = calibration(np.concatenate(ys), np.concatenate(ps))
    return out
