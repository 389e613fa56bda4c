"""Score comments for spam and toxicity, and explain the scores as spans of the original text.

A :class:`Scorer` holds both models (load it with :func:`models.artifacts.load_scorer`).  Each
comment is normalized once (``models.text``) and both models read that.  Scoring bypasses the
per-head estimator calls: the heads' weights are stacked into one matrix at load time, so a
batch costs one sparse product per model, then Platt calibration per label.

Explanations are by occlusion: each word (or link) of the normalized text is mapped back to
its span in the original, that span is removed from the original, the comment is re-scored,
and the drop in the label's logit is the span's weight.  This explains exactly what the model
does (including character n-grams, signals and obfuscated spellings) at a cost of one extra
scoring per word, paid only for comments someone asks to explain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from models.combine import logit
from models.features import EMAIL_RE, URL_RE
from models.labels import LABELS
from models.record import CommentRecord, model_input
from models.text import normalize, normalize_with_offsets, to_original_span

if TYPE_CHECKING:
    from models.encoder import EncoderStack

# Comments longer than this many words are explained by runs of words, not single words,
# to bound the cost of occlusion.
MAX_OCCLUSIONS = 160
_WORD_RE = re.compile(r"\w+(?:['\u2019]\w+)*")


@dataclass(frozen=True)
class Span:
    """A piece of the ORIGINAL text that pushed a label up."""

    start: int
    end: int
    text: str
    weight: float


def fast_transform(est: Any, X: Any) -> Any:
    """``est.transform(X)`` for the pipelines shipped here, without scikit-learn's overhead.

    Pipeline/FeatureUnion dispatch (joblib, tags, validation) costs about 10 ms a call, far
    more than the arithmetic for one comment.  This walks the same fitted steps and does the
    same arithmetic (a test checks the output equals ``est.transform``); any step it does not
    know is delegated to its own ``transform``.
    """
    if isinstance(est, Pipeline):
        for _, step in est.steps:
            if step is None or step == "passthrough":
                continue
            X = fast_transform(step, X)
        return X
    if isinstance(est, FeatureUnion):
        weights = est.transformer_weights or {}
        parts = []
        for name, t in est.transformer_list:
            if t == "drop":
                continue
            part = fast_transform(t, X)
            if name in weights:
                part = part * weights[name]
            parts.append(sp.csr_matrix(part))
        return sp.hstack(parts, format="csr")
    if isinstance(est, FunctionTransformer):
        return est.func(X, **(est.kw_args or {}))
    if isinstance(est, TfidfTransformer):
        X = sp.csr_matrix(X, dtype=np.float64, copy=True)
        if est.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if est.use_idf:
            X.data *= est.idf_[X.indices]
        if est.norm == "l2":
            counts = np.diff(X.indptr)
            row = np.repeat(np.arange(X.shape[0]), counts)
            norms = np.sqrt(np.bincount(row, weights=X.data**2, minlength=X.shape[0]))
            norms[norms == 0] = 1.0
            X.data /= np.repeat(norms, counts)
        elif est.norm is not None:
            X = est.transform(X)
        return X
    return est.transform(X)


def _union_input(features: Any, X: Any) -> tuple[FeatureUnion | None, Any]:
    """If ``features`` ends in a FeatureUnion, that union and the input it receives."""
    if isinstance(features, FeatureUnion):
        return features, X
    if isinstance(features, Pipeline) and isinstance(features.steps[-1][1], FeatureUnion):
        for _, step in features.steps[:-1]:
            X = fast_transform(step, X)
        return features.steps[-1][1], X
    return None, X


class LinearLabels:
    """One featurizer and a stack of calibrated linear heads, evaluated as a matrix product."""

    def __init__(self, artifact: Mapping[str, Any]) -> None:
        self.name: str = artifact["name"]
        self.features = artifact["features"]
        heads = artifact["classifiers"]
        cals = artifact["calibrators"]
        self.labels: list[str] = [k for k in artifact["labels"] if k in heads]
        # float64: a float32 W would be converted on every product (a 25 MB copy per call).
        self.W = np.column_stack(
            [np.asarray(heads[k].coef_, dtype=np.float64).ravel() for k in self.labels]
        )
        self.b = np.array([float(heads[k].intercept_[0]) for k in self.labels])
        self.cal_a = np.array([float(cals[k].coef_[0, 0]) for k in self.labels])
        self.cal_b = np.array([float(cals[k].intercept_[0]) for k in self.labels])
        # Labels scored as the noisy-OR of several heads (artifacts from 1.2.0 on).
        self.combine = [
            (self.labels.index(k), [self.labels.index(c) for c in parts if c in self.labels])
            for k, parts in (artifact.get("combine") or {}).items()
            if k in self.labels
        ]

    def decision(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Raw logits, shape (n, labels)."""
        return combine_logits(self._linear(records), self.combine)

    def _linear(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        est, X = _union_input(self.features, records)
        if est is None:
            X = fast_transform(self.features, records)
            return np.asarray(sp.csr_matrix(X) @ self.W) + self.b
        # Multiply each block of the union by its rows of W instead of stacking the blocks.
        z = np.zeros((len(records), self.W.shape[1]))
        offset = 0
        weights = est.transformer_weights or {}
        for name, t in est.transformer_list:
            if t == "drop":
                continue
            block = sp.csr_matrix(fast_transform(t, X))
            if name in weights:
                block = block * weights[name]
            z += block @ self.W[offset : offset + block.shape[1]]
            offset += block.shape[1]
        return z + self.b

    def calibrate(self, z: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from logits."""
        return 1.0 / (1.0 + np.exp(-(z * self.cal_a + self.cal_b)))

    def proba(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Calibrated probabilities, shape (n, labels)."""
        return self.calibrate(self.decision(records))


def combine_logits(z: np.ndarray, combine: Sequence[tuple[int, Sequence[int]]]) -> np.ndarray:
    """Replace column ``j`` of logits ``z`` by the noisy-OR of columns ``parts`` (as a logit).

    The label fires if any of its heads does: P = 1 - prod(1 - sigmoid(z_k)), computed in log
    space (log1p of -sigmoid, i.e. -softplus) so that large logits do not round to 0 or 1.
    """
    if not combine:
        return z
    z = np.array(z, dtype=np.float64, copy=True)
    original = z.copy()
    for j, parts in combine:
        if not parts:
            continue
        log_none = -np.logaddexp(0.0, original[:, parts]).sum(axis=1)  # log prod(1 - p_k)
        # logit(1 - e^a) = log(1 - e^a) - a, with log(1 - e^a) = log(-expm1(a)).
        z[:, j] = np.log(-np.expm1(np.minimum(log_none, -1e-12))) - log_none
    return z


class Scorer:
    """Both models, with versions, per-label thresholds and explanations."""

    versions: dict[str, str]
    label_models: dict[str, str]
    thresholds: dict[str, float]
    # The other languages' scorers by ISO 639-1 code (models.languages), filled by the loaders;
    # models.language.route picks among them.
    languages: dict[str, Scorer]

    def __init__(
        self,
        models: Mapping[str, Mapping[str, Any]],
        manifest: Mapping[str, Any],
        encoder: EncoderStack | None = None,
    ):
        self.manifest = dict(manifest)
        # The toxicity labels combine the linear heads with the encoder when one is given
        # (models.encoder.load_encoder); None is the linear-only path.
        self.encoder = encoder
        self.encoder_version = encoder.version if encoder is not None else None
        self.models = {name: LinearLabels(art) for name, art in models.items()}
        self.versions = {name: manifest["models"][name]["version"] for name in self.models}
        self.label_models = {}
        for name, m in self.models.items():
            for label in m.labels:
                self.label_models[label] = name
        missing = [k for k in LABELS if k not in self.label_models]
        if missing:
            raise ValueError(f"the artifacts score no model for: {', '.join(missing)}")
        self.thresholds = {k: float(manifest["thresholds"].get(k, 0.5)) for k in LABELS}
        self.languages = {}

    def score(
        self, comments: Sequence[CommentRecord | Mapping[str, str | None]]
    ) -> list[dict[str, float]]:
        """Batch: each comment a record or its fields ("text" required; "name", "email", "url"
        optional); returns a dict label -> calibrated probability in [0, 1]: every label in
        LABELS for the English scorer, only its labels for another language's."""
        if not comments:
            return []
        records = [model_input(c) for c in comments]
        out: list[dict[str, float]] = [{} for _ in records]
        for m in self.models.values():
            P = m.proba(records)
            if self.encoder is not None and "toxicity" in m.labels:
                P = self.encoder.proba(m.labels, P, records)
            for j, label in enumerate(m.labels):
                col = P[:, j]
                for i in range(len(records)):
                    out[i][label] = float(col[i])
        return [{k: d[k] for k in LABELS if k in d} for d in out]

    def explain(
        self,
        comment: CommentRecord | Mapping[str, str | None],
        labels: Iterable[str],
        top: int = 5,
    ) -> dict[str, list[Span]]:
        """For each requested label, the spans of the original text that contributed most."""
        labels = [k for k in labels if k in self.label_models]
        if not isinstance(comment, CommentRecord):
            comment = CommentRecord.from_fields(comment)
        text = comment.text
        result: dict[str, list[Span]] = {k: [] for k in labels}
        if not labels or not text.strip():
            return result
        spans = candidate_spans(text)
        if not spans:
            return result
        # Occlude every occurrence of a word at once: with sublinear tf, removing one "idiot"
        # of eight barely moves the score, and the repeated word would never be shown.
        groups: dict[str, list[tuple[int, int]]] = {}
        for s, e in spans:
            groups.setdefault(normalize(text[s:e]).strip() or text[s:e], []).append((s, e))
        keys = list(groups)
        variants = [comment]
        variants += [replace(comment, text=_remove(text, groups[key])) for key in keys]
        records = [v.as_model_input() for v in variants]
        by_model: dict[str, list[str]] = {}
        for k in labels:
            by_model.setdefault(self.label_models[k], []).append(k)
        for name, labs in by_model.items():
            m = self.models[name]
            Z = m.decision(records)
            if self.encoder is not None and "toxicity" in m.labels:
                # Occlusion over the score that ships: the combined one.
                Z = logit(self.encoder.proba(m.labels, m.calibrate(Z), records))
            for label in labs:
                j = m.labels.index(label)
                drop = Z[0, j] - Z[1:, j]
                order = np.argsort(-drop, kind="stable")
                chosen: list[Span] = []
                for i in order:
                    if drop[i] <= 1e-6 or len(chosen) >= top:
                        break
                    for s, e in groups[keys[i]][: top - len(chosen)]:
                        chosen.append(Span(s, e, text[s:e], round(float(drop[i]), 4)))
                result[label] = chosen
        return result


def _remove(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each span replaced by one space."""
    out, last = [], 0
    for s, e in sorted(spans):
        out.append(text[last:s])
        out.append(" ")
        last = e
    out.append(text[last:])
    return "".join(out)


def candidate_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the original text to occlude: its links, e-mails and words, in order.

    Found in the normalized text (so "y0u 1d10t" yields two words) and mapped back to the
    original; pieces that map onto the same original characters are merged.  Long comments
    are cut into at most :data:`MAX_OCCLUSIONS` runs of consecutive words.
    """
    norm, offsets = normalize_with_offsets(text)
    pieces: list[tuple[int, int]] = []
    taken = np.zeros(len(norm) + 1, dtype=bool)
    for rx in (URL_RE, EMAIL_RE):
        for m in rx.finditer(norm):
            if not taken[m.start() : m.end()].any():
                pieces.append((m.start(), m.end()))
                taken[m.start() : m.end()] = True
    for m in _WORD_RE.finditer(norm):
        if not taken[m.start() : m.end()].any():
            pieces.append((m.start(), m.end()))
    pieces.sort()
    orig: list[tuple[int, int]] = []
    for s, e in pieces:
        os_, oe = to_original_span(offsets, s, e, text)
        if oe <= os_:
            continue
        if orig and os_ < orig[-1][1]:
            orig[-1] = (orig[-1][0], max(oe, orig[-1][1]))
        else:
            orig.append((os_, oe))
    if len(orig) > MAX_OCCLUSIONS:
        k = -(-len(orig) // MAX_OCCLUSIONS)
        orig = [(orig[i][0], orig[min(i + k, len(orig)) - 1][1]) for i in range(0, len(orig), k)]
    return orig
