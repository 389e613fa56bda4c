"""A per-site layer over the base models: one site's moderator decisions re-score its comments.

The public models stay the base. On top, per site, a small model reads the base's label scores
(as logits) and the comment's hashed words, and gives each label it learned a new probability;
its thresholds are fitted on that site's decisions. Labels with too few decisions (fewer than
:data:`MIN_CLASS` positives or negatives) keep the base score and the base threshold.

Training rows are moderator decisions, which the base model chose: every fine row was held by
it, every abusive row was held or reported. So the site's undecided approved comments of the
same period are learned from too, as fine, and the thresholds are fitted on the verdict over
out-of-fold predictions of all of them: the fewest fine rows held while catching at least the
share of abuse the base caught (:func:`fit_thresholds`). There, each undecided approved comment
counts as abusive by the base's probability (the misses nobody reported) and fine by the rest:
counted as fine, the base would seem to catch nearly all abuse (only reported misses are known)
and the layer would buy recall the base never had instead of holding fewer fine comments.

The artifact is a dict of stock scikit-learn steps (a FeatureUnion of a FunctionTransformer and
a HashingVectorizer, one LogisticRegression per label), like the base models', saved with skops.
:class:`LayeredScorer` is a base :class:`~models.scorer.Scorer` with a layer on top: what a
worker scores one site's comments with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from models.combine import logit, sigmoid
from models.features import norm_texts
from models.labels import LABELS, TOXICITY_LABELS
from models.record import CommentRecord, model_input
from models.scorer import SPAN_RULE, Scorer, Span, SpanRule, fast_transform

KIND = "site-layer"
LAYER_VERSION = "1.0"
# Per label, positives and negatives a layer head needs: below that a fold has a handful of
# positives and the out-of-fold thresholds are noise (the promotion gate asks as many).
MIN_CLASS = 20
WORD_FEATURES = 2**14
# The regularisation strengths tried per label, chosen by out-of-fold log loss.
STRENGTHS = (0.03, 0.1, 0.3, 1.0, 3.0)
FOLDS = 5
# Threshold candidates per label: quantiles of the out-of-fold scores.
GRID = 200
# The highest threshold a label without a head may get (a label is never switched off).
UNTRAINED_CAP = 0.95


def base_logits(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The base model's score of every label as a logit, one row per item (0 where absent)."""
    out = np.zeros((len(items), len(LABELS)))
    for i, item in enumerate(items):
        base = item["base"]
        for j, label in enumerate(LABELS):
            if label in base:
                out[i, j] = float(logit(np.array(base[label])))
    return out


def layer_features() -> FeatureUnion:
    """The layer's input: the base's logits beside the text's hashed words (and word pairs)."""
    words = Pipeline(
        [
            ("text", FunctionTransformer(norm_texts)),
            (
                "hash",
                HashingVectorizer(
                    n_features=WORD_FEATURES,
                    ngram_range=(1, 2),
                    alternate_sign=False,
                    binary=True,
                    norm="l2",
                ),
            ),
        ]
    )
    return FeatureUnion([("base", FunctionTransformer(base_logits)), ("words", words)])


def layer_items(
    records: Sequence[CommentRecord | Mapping[str, Any]], base: Sequence[Mapping[str, float]]
) -> list[dict[str, Any]]:
    """What the layer reads of each comment: its normalized text and the base's scores."""
    return [
        {"norm": model_input(record)["norm"], "base": dict(scores)}
        for record, scores in zip(records, base, strict=True)
    ]


def truth_matrix(rows: Sequence[Mapping[str, Any]], labels: Sequence[str]) -> np.ndarray:
    """rows x labels: the decision's label (0 or 1), NaN where the decision says nothing."""
    return np.array(
        [[row["labels"].get(label, np.nan) for label in labels] for row in rows], dtype=float
    ).reshape(len(rows), len(labels))


def verdict_groups(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fine, abusive) masks: abusive when any known label is 1, fine when known and all 0."""
    known = ~np.isnan(truth).all(axis=1)
    abusive = np.nan_to_num(truth, nan=0).max(axis=1) == 1
    return known & ~abusive, abusive


def held_matrix(scores: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Whether any label of each row reaches its threshold."""
    return (scores >= np.asarray(thresholds)[None, :]).any(axis=1)


def fit_head(X: Any, y: np.ndarray, seed: int) -> tuple[LogisticRegression, np.ndarray, float]:
    """One label's head: the strength with the best out-of-fold log loss, fitted on every row;
    with its out-of-fold probabilities (for the thresholds) and that strength."""
    smallest = int(min(y.sum(), (1 - y).sum()))
    folds = StratifiedKFold(n_splits=min(FOLDS, smallest), shuffle=True, random_state=seed)
    best: tuple[float, float, np.ndarray] | None = None
    for strength in STRENGTHS:
        oof = np.zeros(y.size)
        for train, test in folds.split(np.zeros(y.size), y):
            head = LogisticRegression(C=strength, solver="liblinear")
            head.fit(X[train], y[train])
            oof[test] = head.predict_proba(X[test])[:, 1]
        p = np.clip(oof, 1e-6, 1 - 1e-6)
        loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        if best is None or loss < best[0]:
            best = (loss, strength, oof)
    assert best is not None
    head = LogisticRegression(C=best[1], solver="liblinear").fit(X, y)
    return head, best[2], best[1]


def fit_thresholds(
    scores: np.ndarray,
    fixed: np.ndarray,
    fine: np.ndarray,
    abusive: np.ndarray,
    target: float,
    caps: Sequence[float] | None = None,
) -> list[float]:
    """The thresholds of the layer's labels (columns of ``scores``) that catch at least
    ``target`` of the abusive rows while holding the fewest fine ones, greedily.

    ``fine`` and ``abusive`` weigh each row as fine and as abusive (masks, or weights: a row
    may be partly each). ``fixed`` is what the labels the layer leaves alone hold. Every
    threshold starts at its cap (1: nothing held); each step lowers the one threshold that
    catches the most abusive weight per fine weight it adds, until the catch reaches the target.
    """
    fw, aw = np.asarray(fine, dtype=float), np.asarray(abusive, dtype=float)
    n_labels = scores.shape[1]
    top = list(caps) if caps is not None else [1.0] * n_labels
    grids = []
    for j in range(n_labels):
        grid = np.unique(np.quantile(scores[:, j], np.linspace(0, 1, GRID + 1)))[::-1]
        grids.append(grid[grid < top[j]])
    position = [-1] * n_labels
    needed = target * float(aw.sum()) - 1e-9
    current = fixed | held_matrix(scores, top)
    while float(aw[current].sum()) < needed:
        best: tuple[float, int, int, np.ndarray] | None = None
        for j in range(n_labels):
            for step in range(position[j] + 1, len(grids[j])):
                now = current | (scores[:, j] >= grids[j][step])
                gained = float(aw[now].sum() - aw[current].sum())
                if gained <= 1e-12:
                    continue
                added = float(fw[now].sum() - fw[current].sum())
                gain = gained / (added + 0.5)
                if best is None or gain > best[0]:
                    best = (gain, j, step, now)
                break
        if best is None:
            break
        _, j, position[j], current = best
    return [float(grids[j][position[j]]) if position[j] >= 0 else top[j] for j in range(n_labels)]


def train_layer(
    rows: Sequence[Mapping[str, Any]],
    base: Sequence[Mapping[str, float]],
    base_thresholds: Mapping[str, float],
    *,
    name: str,
    version: str,
    approved: Sequence[Mapping[str, Any]] = (),
    approved_base: Sequence[Mapping[str, float]] = (),
    missed_weight: float = 1.0,
    seed: int = 0,
) -> dict[str, Any]:
    """A layer trained on one site's decisions (feedback rows: ``text``..., ``labels``) over the
    base's scores of the same comments; raises ValueError when no label has enough decisions.

    ``approved`` are the site's comments of the same period the policy approved and nobody
    decided on (with ``approved_base``, their base scores): they are learned from as fine (most
    are). Without them every row is one the base held or missed, and a head can learn that a
    low base score means abuse (the reported misses), which inverts it on the comments nobody
    decided. ``missed_weight``: how many misses one reported miss stands for, if known.
    """
    labels = list(TOXICITY_LABELS)
    decided = truth_matrix(rows, labels)
    counts = {
        label: {
            "positives": int(np.nansum(decided[:, j] == 1)),
            "negatives": int(np.nansum(decided[:, j] == 0)),
        }
        for j, label in enumerate(labels)
    }
    trained = [k for k in labels if min(counts[k].values()) >= MIN_CLASS]
    if not trained:
        tox = counts[labels[0]]
        raise ValueError(
            f"too few decisions to train a site layer: {tox['positives']} abusive and "
            f"{tox['negatives']} fine toxicity decisions in the training split; at least "
            f"{MIN_CLASS} of each are needed"
        )
    rows = [*rows, *({**r, "labels": dict.fromkeys(labels, 0)} for r in approved)]
    base = [*base, *approved_base]
    truth = truth_matrix(rows, labels)
    items = layer_items([CommentRecord.from_fields(r) for r in rows], base)
    features = layer_features()
    X = features.fit_transform(items).tocsr()
    oof = np.zeros((len(rows), len(trained)))
    classifiers: dict[str, LogisticRegression] = {}
    strengths: dict[str, float] = {}
    for j, label in enumerate(trained):
        known = ~np.isnan(truth[:, labels.index(label)])
        y = truth[known, labels.index(label)].astype(int)
        head, known_oof, strengths[label] = fit_head(X[known], y, seed)
        classifiers[label] = head
        # Rows that say nothing of this label were not trained on: the full head is out of fold.
        oof[:, j] = head.predict_proba(X)[:, 1]
        oof[known, j] = known_oof
    fine, abusive = verdict_groups(truth)
    base_matrix = np.array([[s.get(k, 0.0) for k in labels] for s in base]).reshape(
        len(base), len(labels)
    )
    base_cut = [float(base_thresholds.get(k, 0.5)) for k in labels]
    base_held = held_matrix(base_matrix, base_cut)
    # A reported miss may stand for several (``missed_weight``): the base's true catch is lower.
    abusive_w = np.where(abusive & ~base_held, missed_weight, 1.0) * abusive
    fine_w = fine.astype(float)
    if approved:
        # Undecided approved comments hide the misses nobody reported: each counts as abusive
        # by the base's probability, fine by the rest.
        soft = base_matrix[-len(approved) :, labels.index("toxicity")]
        abusive_w[-len(approved) :] = soft
        fine_w[-len(approved) :] = 1 - soft
    target = float(abusive_w[base_held].sum() / abusive_w.sum()) if abusive_w.any() else 1.0
    # A label without a head whose holds moderators approved often enough may be raised (to
    # at most UNTRAINED_CAP) over its base score; the others keep the base's threshold.
    raised = [k for k in labels if k not in trained and counts[k]["negatives"] >= MIN_CLASS]
    untouched = [labels.index(k) for k in labels if k not in trained and k not in raised]
    fixed = held_matrix(base_matrix[:, untouched], [base_cut[i] for i in untouched])
    tuned = np.column_stack([oof, base_matrix[:, [labels.index(k) for k in raised]]])
    caps = [1.0] * len(trained) + [max(UNTRAINED_CAP, base_cut[labels.index(k)]) for k in raised]
    cuts = fit_thresholds(tuned, fixed, fine_w, abusive_w, target, caps)
    thresholds = dict(zip([*trained, *raised], cuts, strict=True))
    layer_held = held_matrix(tuned, cuts) | fixed
    return {
        "name": name,
        "kind": KIND,
        "version": version,
        "labels": trained,
        "features": features,
        "classifiers": classifiers,
        "thresholds": thresholds,
        "training": {
            "rows": len(rows) - len(approved),
            "labels": counts,
            "strengths": strengths,
            "fine": int(fine.sum()) - len(approved),
            "approved_undecided": len(approved),
            "abusive": int(abusive.sum()),
        },
        # Out of fold, on the training decisions: what the thresholds were fitted to.
        "metrics": {
            "base_fine_held": share(base_held, fine),
            "base_abusive_caught": share(base_held, abusive),
            "layer_fine_held": share(layer_held, fine),
            "layer_abusive_caught": share(layer_held, abusive),
        },
    }


def share(held: np.ndarray, group: np.ndarray) -> float | None:
    return round(float(held[group].mean()), 4) if group.any() else None


class SiteLayer:
    """A loaded layer: re-scores its labels from the base's scores and the text."""

    def __init__(self, artifact: Mapping[str, Any], version: str | None = None) -> None:
        self.name: str = artifact["name"]
        self.version: str = version or artifact["version"]
        self.features = artifact["features"]
        heads = artifact["classifiers"]
        self.labels: list[str] = [k for k in artifact["labels"] if k in heads]
        self.W = np.column_stack(
            [np.asarray(heads[k].coef_, dtype=np.float64).ravel() for k in self.labels]
        )
        self.b = np.array([float(heads[k].intercept_[0]) for k in self.labels])
        # Its heads' labels, and the labels it raised over the base's scores.
        self.thresholds: dict[str, float] = {k: float(v) for k, v in artifact["thresholds"].items()}

    def proba(
        self,
        records: Sequence[CommentRecord | Mapping[str, Any]],
        base: Sequence[Mapping[str, float]],
    ) -> np.ndarray:
        """The layer's probabilities, shape (n, labels)."""
        X = fast_transform(self.features, layer_items(records, base))
        return sigmoid(np.asarray(X @ self.W) + self.b)

    def adjust(
        self,
        records: Sequence[CommentRecord | Mapping[str, Any]],
        base: Sequence[Mapping[str, float]],
    ) -> list[dict[str, float]]:
        """The base's scores with the layer's labels replaced by the layer's probabilities."""
        if not records:
            return []
        P = self.proba(records, base)
        out = []
        for i, scores in enumerate(base):
            adjusted = dict(scores)
            for j, label in enumerate(self.labels):
                if label in adjusted:
                    adjusted[label] = float(P[i, j])
            out.append({k: adjusted[k] for k in LABELS if k in adjusted})
        return out


class LayeredScorer(Scorer):
    """A base scorer with a site's layer on top: its labels' scores and thresholds are the
    layer's; ``versions`` names the layer beside the base models."""

    def __init__(self, base: Scorer, layer: SiteLayer) -> None:
        # The base's models, encoder and languages as they are: nothing is loaded again.
        self.base = base
        self.layer = layer
        self.manifest = base.manifest
        self.encoder = base.encoder
        self.encoder_version = base.encoder_version
        self.models = base.models
        self.languages = base.languages
        self.versions = {**base.versions, layer.name: layer.version}
        self.label_models = {
            **base.label_models,
            **{label: layer.name for label in layer.labels},
        }
        self.thresholds = {**base.thresholds, **layer.thresholds}

    def score(
        self, comments: Sequence[CommentRecord | Mapping[str, str | None]]
    ) -> list[dict[str, float]]:
        return self.layer.adjust(comments, self.base.score(comments))

    def explain(
        self,
        comment: CommentRecord | Mapping[str, str | None],
        labels: Iterable[str],
        top: int | None = None,
        rule: SpanRule | None = SPAN_RULE,
    ) -> dict[str, list[Span]]:
        """The base model's explanation: the words that drove the base's scores."""
        return self.base.explain(comment, labels, top, rule)
