"""Train the spam and toxicity models and write the artifacts and manifest.

``train(data_dir, out_dir)`` is what ``moderation train`` and ``python -m models.training.train``
run.
Each label head is a logistic regression fitted only on rows whose source defines that label,
weighted so that no single corpus dominates, then calibrated (Platt scaling on out-of-fold
decision values) so that its probabilities mean what they say on the pooled training data.
The default thresholds are then fitted on the verdict (:func:`linear_verdict_thresholds`, on the
heads' out-of-fold scores: that is why it lives beside them; the search is ``thresholds.py``).

Over 450 lines on purpose: the rows each model learns from, their weights, the heads, their
calibration and thresholds are one recipe, read top to bottom.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import sys
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn
import skops
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from models import spam, toxicity
from models.artifacts import save_model, write_manifest
from models.labels import SPAM, TOXICITY_LABELS
from models.record import ModelInput, model_input
from models.scorer import combine_logits
from models.text import normalize
from models.training.datasets import (
    HANDWRITTEN,
    PUBLIC,
    SOURCES,
    Example,
    default_data_dir,
    load_all,
)
from models.training.provenance import check_sources, reference_manifest
from models.training.sampling import sample_per_source

log = logging.getLogger(__name__)

# Effective rows per toxicity source: each source is weighted towards this size so that the
# 20k-row tweet corpora do not drown the news and talk-page comments.
TOX_TARGET_ROWS = 8000.0
TOX_WEIGHT_CLIP = (0.25, 3.0)
# Moderator feedback weighs at least this much in both models: a site's own labels are the
# most relevant data there is for that site.
FEEDBACK_MIN_WEIGHT = 2.0
# Hashed size of each n-gram part when training on a sample (tests): a small space makes the
# fits cheap and is plenty for a few thousand rows.
SAMPLE_FEATURES = 2**14


# Evaluation retrains on overlapping subsets many times: normalize each text once.
_normalize = functools.lru_cache(maxsize=400_000)(normalize)


def to_record(ex: Example | Mapping[str, Any]) -> ModelInput:
    """The dict a pipeline consumes, built as the scorer builds it (with a cached normalize)."""
    return model_input(ex.record() if isinstance(ex, Example) else ex, _normalize)


def tox_weights(rows: Sequence[Example]) -> np.ndarray:
    """Per-row weight so each toxicity source counts about :data:`TOX_TARGET_ROWS` rows."""
    n = Counter(r.source for r in rows)
    lo, hi = TOX_WEIGHT_CLIP
    w = {s: float(np.clip(TOX_TARGET_ROWS / c, lo, hi)) for s, c in n.items()}
    w["feedback"] = max(w.get("feedback", 1.0), FEEDBACK_MIN_WEIGHT)
    w["handwritten-threats"] = 1.0
    w["handwritten-functional"] = 2.0
    w["handwritten-templates"] = 1.0
    return np.array([w[r.source] for r in rows])


def fit_heads(
    X: sp.csr_matrix,
    rows: Sequence[Example],
    labels: Sequence[str],
    weights: np.ndarray,
    alpha: dict[str, float],
    seed: int,
    calibrate: bool = True,
    combine: Mapping[str, Sequence[str]] | None = None,
    calibrate_on: np.ndarray | None = None,
    oof_proba: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, SGDClassifier], dict[str, LogisticRegression], dict[str, Any]]:
    """Fit one weighted logistic-loss linear head per label on the rows that define it.

    Calibration: Platt scaling fitted on 3-fold out-of-fold decision values, unweighted, so
    the probability reflects the label's rate in the pooled data rather than the weights.
    The folds are shared by all labels, so every row has an out-of-fold decision value of
    every head.  ``combine`` maps a label to the heads whose noisy-OR is its score (see
    :func:`models.scorer.combine_logits`); it is calibrated on the noisy-OR of those heads'
    out-of-fold values.  ``calibrate_on`` (a boolean mask over ``rows``) limits the rows the
    calibration and the threshold are fitted on.  The returned info holds each head's training
    rows, out-of-fold AUC and F1-best threshold.  ``oof_proba``, if given, receives each
    label's calibrated out-of-fold probability for every row (what the verdict thresholds of
    :mod:`models.training.thresholds` are fitted on).
    """
    heads: dict[str, SGDClassifier] = {}
    cals: dict[str, LogisticRegression] = {}
    info: dict[str, Any] = {}
    fold = np.random.default_rng(seed).integers(0, 3, size=len(rows))
    oof: dict[str, np.ndarray] = {}
    fitted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for label in labels:
        idx = np.array([i for i, r in enumerate(rows) if label in r.labels], dtype=int)
        if len(idx) == 0:
            continue
        y = np.array([rows[i].labels[label] for i in idx])
        if y.min() == y.max():
            continue
        wl = weights[idx]
        # Balance classes within the weighted data: rare labels (threat) would otherwise
        # barely move the decision boundary.
        pos = wl[y == 1].sum()
        neg = wl[y == 0].sum()
        wl = np.where(y == 1, wl * (neg / pos) ** 0.5, wl)

        def make(a: float = alpha[label]) -> SGDClassifier:
            # Logistic loss by SGD: within 0.005 AUC of liblinear here (better held out) at a
            # tenth of the time, which is what makes leave-one-source-out affordable.
            return SGDClassifier(loss="log_loss", alpha=a, max_iter=15, tol=None, random_state=seed)

        oof[label] = np.zeros(len(rows))
        if calibrate:
            for f in range(3):
                tr = fold[idx] != f
                if y[tr].min() == y[tr].max():
                    continue
                m = make().fit(X[idx[tr]], y[tr], sample_weight=wl[tr])
                out = np.flatnonzero(fold == f)
                oof[label][out] = m.decision_function(X[out])
        clf = make().fit(X[idx], y, sample_weight=wl)
        clf.coef_ = clf.coef_.astype(np.float32)
        heads[label] = clf
        fitted[label] = (idx, y)
        if not calibrate:
            oof[label] = clf.decision_function(X)
        log.info("  %s: %d rows, %d positive", label, len(idx), int(y.sum()))
    for label, parts in (combine or {}).items():
        if label not in heads:
            continue
        names = [label, *(k for k in parts if k in heads and k != label)]
        z = np.column_stack([oof[k] for k in names])
        oof[label] = combine_logits(z, [(0, list(range(len(names))))])[:, 0]
    for label, (idx, y) in fitted.items():
        if calibrate_on is not None:
            keep = calibrate_on[idx]
            idx, y = idx[keep], y[keep]
        src = oof[label][idx].reshape(-1, 1)
        cal = LogisticRegression(C=1e4, solver="lbfgs").fit(src, y)
        cals[label] = cal
        if oof_proba is not None:
            oof_proba[label] = cal.predict_proba(oof[label].reshape(-1, 1))[:, 1]
        p = cal.predict_proba(src)[:, 1]
        info[label] = {
            "rows": len(idx),
            "positives": int(y.sum()),
            "sources": dict(Counter(rows[i].source for i in idx)),
            "oof_roc_auc": round(float(roc_auc_score(y, p)), 4),
            "oof_pr_auc": round(float(average_precision_score(y, p)), 4),
            "threshold": best_threshold(y, p),
        }
        if label in (combine or {}):
            info[label]["combined_from"] = list(combine[label])
    return heads, cals, info


def best_threshold(y: np.ndarray, p: np.ndarray, lo: float = 0.3, hi: float = 0.9) -> float:
    """The F1-best threshold, kept within [lo, hi] so a rare label cannot fire at 0.05."""
    best, best_f1 = 0.5, -1.0
    for t in np.arange(lo, hi + 1e-9, 0.025):
        f = f1_score(y, p >= t, zero_division=0)
        if f > best_f1:
            best, best_f1 = float(t), f
    return round(best, 3)


def sample_rows(rows: list[Example], n: int, seed: int) -> list[Example]:
    """A small subset for tests: up to ``n`` rows of each source, random but reproducible.

    Moderator feedback is never capped: every feedback row is kept.
    """
    feedback = [r for r in rows if r.source == "feedback"]
    public = [r for r in rows if r.source != "feedback"]
    return feedback + sample_per_source(public, lambda _: n, seed)


def spam_training_rows(rows: Sequence[Example], seed: int) -> list[Example]:
    """Spam-labelled rows plus comments of toxicity sources as spam=0 (weak negatives).

    Sources whose weight in ``spam.SOURCE_WEIGHTS`` is 0 are left out.  The spam corpora have
    almost no legitimate comment that links to a source, so without these the model learns
    that any link is spam.  Every such row with a link is taken, and of each source up to
    ``spam.WEAK_NEGATIVES_PER_SOURCE`` others.  Toxic rows count too: an insult is not spam.
    """
    out = [r for r in rows if "spam" in r.labels and spam.SOURCE_WEIGHTS.get(r.source, 1.0) > 0]
    from models.features import URL_RE

    pool = [r for r in rows if r.source in spam.WEAK_NEGATIVE_SOURCES and "spam" not in r.labels]
    linked = [r for r in pool if URL_RE.search(r.text)]
    other = sample_per_source(
        (r for r in pool if not URL_RE.search(r.text)),
        lambda _: spam.WEAK_NEGATIVES_PER_SOURCE,
        seed,
    )
    for r in linked + other:
        out.append(
            Example(
                text=r.text,
                source="weak-negatives",
                group="weak-negatives",
                labels={"spam": 0},
                meta={"from": r.source},
            )
        )
    return out


def spam_weights(rows: Sequence[Example]) -> np.ndarray:
    """Per-row weight of the spam training rows by source (see ``spam.SOURCE_WEIGHTS``);
    feedback at least :data:`FEEDBACK_MIN_WEIGHT`, as in :func:`tox_weights`."""
    w = dict(spam.SOURCE_WEIGHTS)
    w["feedback"] = max(w.get("feedback", 1.0), FEEDBACK_MIN_WEIGHT)
    return np.array([w.get(r.source, 1.0) for r in rows])


def train_spam(
    rows: Sequence[Example],
    seed: int = 0,
    calibrate: bool = True,
    n_features: int | None = None,
    oof_proba: dict[str, np.ndarray] | None = None,
    lists_dir: Path | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Example]]:
    """Fit the spam artifact; returns (artifact, per-label info, training rows).

    ``lists_dir`` holds the public spam lists (``raw/spam-link-lists``) whose tokens the model
    learns to weigh (:mod:`models.spam_lists`); without it they stay off.
    """
    srows = spam_training_rows(rows, seed)
    recs = [to_record(r) for r in srows]
    lists = str(lists_dir) if lists_dir else None
    feats = spam.build_features(n_features or 2**17, lists)
    X = feats.fit_transform(recs).tocsr()
    # Calibrated on the comments labelled for spam, not on the weak negatives: those are
    # all clean and would pull every probability towards "clean" on a comment section.
    labelled = np.array([r.source != "weak-negatives" for r in srows])
    heads, cals, info = fit_heads(
        X,
        srows,
        spam.LABELS,
        spam_weights(srows),
        spam.ALPHA,
        seed,
        calibrate,
        calibrate_on=labelled if labelled.any() and (~labelled).any() else None,
        oof_proba=oof_proba,
    )
    art = {"name": spam.NAME, "labels": list(spam.LABELS), "features": feats}
    art.update({"classifiers": heads, "calibrators": cals})
    return art, info, srows


def train_toxicity(
    rows: Sequence[Example],
    seed: int = 0,
    calibrate: bool = True,
    n_features: int | None = None,
    oof_proba: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[Example]]:
    """Fit the toxicity artifact; returns (artifact, per-label info, training rows)."""
    trows = [r for r in rows if any(k in r.labels for k in toxicity.LABELS)]
    recs = [to_record(r) for r in trows]
    feats = toxicity.build_features(n_features)
    X = feats.fit_transform(recs).tocsr()
    log.info("  features: %s, %d non-zeros", X.shape, X.nnz)
    heads, cals, info = fit_heads(
        X,
        trows,
        toxicity.LABELS,
        tox_weights(trows),
        toxicity.ALPHA,
        seed,
        calibrate,
        combine=toxicity.COMBINE,
        oof_proba=oof_proba,
    )
    art = {"name": toxicity.NAME, "labels": list(toxicity.LABELS), "features": feats}
    art.update({"classifiers": heads, "calibrators": cals})
    art["combine"] = {k: list(v) for k, v in toxicity.COMBINE.items()}
    return art, info, trows


def _data_entry(rows: Sequence[Example]) -> list[dict[str, Any]]:
    n = Counter(r.source for r in rows)
    out = []
    for src, c in sorted(n.items()):
        source = SOURCES.get(src)
        out.append(
            {
                "source": src,
                "rows": c,
                "licence": source.licence if source else "see model card",
                "mapping": source.mapping if source else "",
            }
        )
    return out


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    sample: int | None = None,
    feedback: Path | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
    reference: dict[str, Any] | None = None,
    allow_missing: Collection[str] = (),
) -> dict[str, Any]:
    """Train both models from ``data_dir`` into ``out_dir``; returns the manifest written.

    ``only`` names the models to retrain (``spam``, ``toxicity``); the others keep their entry
    of the manifest already in ``out_dir``.  The encoder entry of that manifest is kept when
    its files are there (``models.training.encoder_build`` builds it; the combination was fitted for
    the linear recipe, not for one set of weights).

    ``sample`` keeps at most that many rows per public source (for tests; feedback rows are
    all kept) and hashes into a smaller feature space, so such a model is quick to train but
    not one to ship. ``feedback`` is a JSONL of moderator labels added to the training data
    (weighted at least :data:`FEEDBACK_MIN_WEIGHT`, winning over public duplicates); the
    versions then read ``<name>-<x.y.z>+fb.<UTC time>``, e.g. ``spam-1.2.0+fb.20261127T213005``.

    ``reference`` is a manifest (the shipped one, for ``moderation train``) whose models' sources
    this run must have too: one it lacks raises ``provenance.MissingSources`` before any
    training, unless ``allow_missing`` names it; an allowed absence is recorded in the model's
    ``missing_sources``.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    rows = load_all(data_dir, feedback=feedback)
    missing: dict[str, list[dict[str, Any]]] = {}
    if reference is not None:
        missing = check_sources(
            reference,
            {r.source for r in rows},
            {*PUBLIC, *HANDWRITTEN},
            [m.NAME for m in (spam, toxicity) if only is None or m.NAME in only],
            allow_missing,
        )
    if sample:
        rows = sample_rows(rows, sample, seed)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    now = started.isoformat()
    suffix = f"+fb.{started:%Y%m%dT%H%M%S}" if feedback is not None else ""
    manifest: dict[str, Any] = {
        "format": 1,
        "trained_at": now,
        "seed": seed,
        "sample": sample,
        "label_models": {"spam": spam.NAME, **{k: toxicity.NAME for k in toxicity.LABELS}},
        "thresholds": {},
        "models": {},
    }
    previous = _previous_manifest(out_dir)
    fitted: dict[str, tuple[dict[str, Any], list[Example], dict[str, np.ndarray]]] = {}
    lists_dir = data_dir / "raw" / "spam-link-lists"
    fit_spam = functools.partial(train_spam, lists_dir=lists_dir)
    for mod, fn in ((spam, fit_spam), (toxicity, train_toxicity)):
        if only is not None and mod.NAME not in only:
            kept = previous.get("models", {}).get(mod.NAME)
            if kept is None:
                raise ValueError(f"{out_dir} has no {mod.NAME} model to keep; train it too")
            manifest["models"][mod.NAME] = kept
            manifest["thresholds"].update(kept.get("thresholds", {}))
            continue
        log.info("training %s on %d rows", mod.NAME, len(rows))
        oof: dict[str, np.ndarray] = {}
        art, info, used = fn(
            rows, seed, n_features=SAMPLE_FEATURES if sample else None, oof_proba=oof
        )
        fitted[mod.NAME] = (art, used, oof)
        fname = f"{mod.NAME}.skops"
        digest = save_model(art, out_dir / fname)
        thresholds = {k: v["threshold"] for k, v in info.items()}
        manifest["thresholds"].update(thresholds)
        manifest["models"][mod.NAME] = {
            "version": mod.VERSION + suffix,
            "file": fname,
            "sha256": digest,
            "bytes": (out_dir / fname).stat().st_size,
            "sklearn": sklearn.__version__,
            "skops": skops.__version__,
            "trained_at": now,
            "labels": list(info),
            "thresholds": thresholds,
            "data": _data_entry(used),
            "training": {k: {kk: vv for kk, vv in v.items()} for k, v in info.items()},
            "metrics": {},
        }
        if mod is spam:
            tokens = spam.list_tokens(art["features"])
            manifest["models"][mod.NAME]["spam_lists"] = {
                "source": "spam-link-lists (WordPress comment blocklist, MIT; Stop Forum Spam "
                "toxic domains, April 2021; Matomo referrer spam, public domain)",
                "domains": int(tokens.n_domains_),
                "phrases": int(tokens.n_phrases_),
            }
        if missing.get(mod.NAME):
            # Said in the manifest (and the card): the model lacks what the shipped one had.
            manifest["models"][mod.NAME]["missing_sources"] = missing[mod.NAME]
    if len(fitted) == 2 and not sample:
        fit = linear_verdict_thresholds(fitted, seed)
        manifest["thresholds"] = fit["thresholds"]
        manifest["threshold_fit"] = fit
        # Each model's own entry carries them too: a worker builds its scorer from the
        # registry's versions, which hold each model's thresholds (the F1-best stay in
        # ``training``).
        for entry in manifest["models"].values():
            entry["thresholds"] = {k: fit["thresholds"][k] for k in entry["labels"]}
    encoder = previous.get("encoder")
    if encoder and all((out_dir / encoder[k]).exists() for k in ("file", "tokenizer")):
        manifest["encoder"] = encoder
    # The other languages' models (models.training.languages) are trained on their own.
    if previous.get("languages"):
        manifest["languages"] = previous["languages"]
    # Keep the evaluation figures of an earlier run if the same directory is retrained:
    # `moderation evaluate` refreshes them.
    write_manifest(manifest, out_dir)
    return manifest


def linear_verdict_thresholds(
    fitted: Mapping[str, tuple[dict[str, Any], list[Example], dict[str, np.ndarray]]], seed: int
) -> dict[str, Any]:
    """The linear models' default thresholds, fitted on the verdict (see ``thresholds``).

    Toxicity scores of the public civil rows and of every label's positives are the heads'
    out-of-fold probabilities; spam's positives too.  The hand-written civil comments, and the
    public civil rows' spam scores, come from the fitted models (the spam model saw some of those
    rows as weak negatives: its share of the budget is small).
    """
    from models.scorer import LinearLabels
    from models.training import thresholds as vt

    spam_art, spam_rows, spam_oof = fitted[spam.NAME]
    tox_art, tox_rows, tox_oof = fitted[toxicity.NAME]
    tox_model, spam_model = LinearLabels(tox_art), LinearLabels(spam_art)
    civil = sample_per_source(
        (r for r in tox_rows if r.source in vt.CIVIL_SOURCES and r.labels.get("toxicity") == 0),
        lambda _: 3000,
        seed,
    )
    position = {id(r): i for i, r in enumerate(tox_rows)}
    idx = np.array([position[id(r)] for r in civil], dtype=int)
    hand = vt.civil_texts("dev")
    test = vt.civil_texts("test")

    def columns(texts: Sequence[str]) -> np.ndarray:
        recs = [to_record({"text": t}) for t in texts]
        return np.column_stack([spam_model.proba(recs)[:, 0], tox_columns(tox_model, recs)])

    public = np.column_stack(
        [
            spam_model.proba([to_record(tox_rows[i]) for i in idx])[:, 0],
            *(tox_oof[k][idx] for k in TOXICITY_LABELS),
        ]
    )
    scores = np.vstack([public, columns(hand)])
    weights = vt.civil_weights([tox_rows[i].source for i in idx], len(hand))
    positives = {
        SPAM: spam_oof[SPAM][[i for i, r in enumerate(spam_rows) if r.labels.get(SPAM) == 1]],
        **{
            k: tox_oof[k][[i for i, r in enumerate(tox_rows) if r.labels.get(k) == 1]]
            for k in TOXICITY_LABELS
        },
    }
    held_out = columns(test)
    th = vt.verdict_thresholds(scores, weights, positives)
    return {
        "thresholds": th,
        "budget": vt.CIVIL_BUDGET,
        "spam_budget": vt.SPAM_BUDGET,
        "civil_rows": {"public": len(idx), "hand_dev": len(hand), "hand_test": len(test)},
        "civil_held_test": round(vt.union_rate(held_out, [SPAM, *TOXICITY_LABELS], th), 4),
        "trade_off": vt.trade_off(scores, weights, positives, held_out),
    }


def tox_columns(model: Any, recs: Sequence[ModelInput]) -> np.ndarray:
    """The toxicity model's probabilities in :data:`TOXICITY_LABELS` order."""
    P = model.proba(recs)
    cols = {k: j for j, k in enumerate(model.labels)}
    return np.column_stack([P[:, cols[k]] for k in TOXICITY_LABELS])


def _previous_manifest(out_dir: Path) -> dict[str, Any]:
    from models.artifacts import read_manifest

    try:
        return read_manifest(out_dir)
    except FileNotFoundError:
        return {}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.training.train --data DIR --out DIR [--sample N] [--feedback FILE]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data_dir())
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "artifacts")
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--feedback", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--allow-missing",
        action="append",
        default=[],
        metavar="SOURCE",
        help="Train without this source of the shipped models ('all': any); recorded.",
    )
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    m = train(
        a.data,
        a.out,
        sample=a.sample,
        feedback=a.feedback,
        seed=a.seed,
        reference=reference_manifest(None),
        allow_missing=a.allow_missing,
    )
    json.dump({k: v["thresholds"] for k, v in m["models"].items()}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
