"""Score comments for spam and toxicity, and explain the scores as spans of the original text.

A :class:`Scorer` holds both models (load it with :func:`models.artifacts.load_scorer`).  Each
comment is normalized once (``models.text``) and both models read that.  Scoring bypasses the
per-head estimator calls: the heads' weights are stacked into one matrix at load time, so a
batch costs one sparse product per model, then Platt calibration per label.

Explanations are by occlusion: each word (or link) of the normalized text is mapped back to
the whole word of the original it lies in, that word is removed from the original, the comment
is re-scored, and the drop in the label's logit is what the word did.  This explains exactly
what the model does (including character n-grams, signals and obfuscated spellings) at a cost of
one extra scoring per distinct content word, paid only for comments someone asks to explain.
Function words ("a", "of", "up") are neither removed nor shown.  :data:`SPAN_RULE` picks the
words shown (the policy measured on the toxic-spans set, ``models/evaluate/spans.py``), attack
words before the name of a group they target, and each span's ``weight`` is its share of the
label's positive drops, so the weights of a comment's spans sum to at most 1.

Over 450 lines on purpose: scoring and its explanation share the normalized text, the fast
transform and the span mapping; apart they would be two modules that only work together.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
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
# A word of the ORIGINAL text: letters and digits with the characters people put inside words to
# spell them past a filter ("b*tch", "f.u.c.k", "$hit", "sh!t", "id10t"), so a highlight never
# shows part of one ("tch").
_ORIGINAL_WORD_RE = re.compile(r"[\w*@$!.'\u2019#%+\-]+")
# Inside such a run these separate two words ("idiot...moron", "no!!you", "well--no").
_WORD_BREAK_RE = re.compile(r"\.{2,}|[!?]{2,}|-{2,}")
# Trimmed off a word's ends: sentence punctuation and quotes, not a word's own letters.
_WORD_EDGE = ".!'\u2019-"
# Explanations never show more spans than this (occurrences of a repeated word included).
MAX_SPANS = 20
# Words an explanation re-scores with the encoder, among those the linear model ranks highest
# (Scorer._combined_occlusion). On the toxic-spans test split the shipped rule's span F1 was
# 0.654 with 8, 0.654 with 12 and 0.652 with every word, at 39% of the CPU of every word.
ENCODER_OCCLUSIONS = 8
# Words that carry grammar, not meaning: never occluded nor shown (normalized spellings,
# contractions with and without their apostrophe).
_FUNCTION_WORDS_TEXT = """
a an the this that these those some any each every either neither no nor not all both
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves one ones
who whom whose which what whatever whoever when where why how there here then than
and or but if so as because while until unless though although whether yet also too very
just only even still ever again once more most much many few less least such own same other
of in on at by for with from to into onto upon about above below over under up down out off
through across along around after before between among against within without toward towards
via per like near since during
am is are was were be been being have has had having do does did doing done
will would shall should can could may might must ought
im i'm ive i've i'd i'll youre you're youve you've youd you'd youll you'll
hes he's shes she's it's we're weve we've we'd theyre they're theyve they've
theyd they'd theyll they'll thats that's theres there's whats what's whos who's lets let's
dont don't doesnt doesn't didnt didn't isnt isn't arent aren't wasnt wasn't werent weren't
havent haven't hasnt hasn't hadnt hadn't wont won't wouldnt wouldn't cant can't cannot
couldnt couldn't shouldnt shouldn't mustnt mustn't
s t re ve ll d m
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


@dataclass(frozen=True)
class Span:
    """A word (or run of words) of the ORIGINAL text that pushed a label up.

    ``weight``: the span's share of the label's score, the positive logit drops of all the
    comment's words summing to 1 (a repeated word's share split among its occurrences), so a
    comment's spans sum to at most 1.  ``drop``: the drop in the label's logit when the word
    (every occurrence of it) is removed, what the share is computed from.
    """

    start: int
    end: int
    text: str
    weight: float
    drop: float = 0.0


@dataclass(frozen=True)
class SpanRule:
    """Which of the weighed words an explanation shows.

    At most ``top`` words (every occurrence of a word counts once), each with a logit drop of at
    least ``min_drop`` and at least ``relative`` times the largest drop of an attack word (a
    word not naming an identity group).  When an identity term is only the target of an attack
    ("These immigrants are vermin"), the attack words lead and the group's name follows them
    with a lower weight (``identity_last``), whatever their drops.  When no word reaches
    ``min_drop`` (``redundant``), the words within ``relative`` of the largest drop are shown:
    a comment with several insults, each enough alone, loses little when any one is left out
    ("you stupid b*tch, you f.u.c.k.i.n.g id10t" scored 0.99 without any one of them), and a
    held label must still show what it read.
    """

    top: int = 3
    min_drop: float = 0.1
    relative: float = 0.7
    identity_last: bool = True
    redundant: bool = True


# The shipped policy, chosen on 600 posts of the toxic-spans train split (models/evaluate/spans.py;
# a grid of top 2-8, relative 0.6-0.9, min_drop 0-0.5, toxicity 1.2.0, which never saw the set).
SPAN_RULE = SpanRule()
_IDENTITY_TEMPLATES = Path(__file__).parent / "testsets" / "identity_templates.jsonl"
# Noun forms of the templates' adjectives that plural endings do not give.
_IDENTITY_FORMS = {"jewish": ("jew", "jews"), "chinese": ("chinaman",), "gay": ("gays",)}


@cache
def identity_terms() -> frozenset[str]:
    """The identity-group names of the identity templates test set, with their plurals.

    Normalized ("muslim", "muslims", "immigrants", "jew"): compared with a word's normalized form.
    """
    groups: set[str] = set()
    with _IDENTITY_TEMPLATES.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                groups.add(normalize(json.loads(line)["group"]).strip())
    terms = set(groups)
    for g in groups:
        terms.update((g + "s", *_IDENTITY_FORMS.get(g, ())))
    return frozenset(terms)


def is_identity_term(word: str) -> bool:
    """Whether ``word`` (as written) names an identity group (:func:`identity_terms`)."""
    return normalize(word).strip() in identity_terms()


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
        if encoder is not None:
            # The combined scores have thresholds of their own, fitted on the verdict like
            # the linear ones (models.training.thresholds): the linear ones would hold a
            # different share of civil comments and catch fewer threats.
            self.thresholds.update({k: v for k, v in encoder.thresholds.items() if k in LABELS})
        self.languages = {}

    def named_versions(self) -> dict[str, str]:
        """What a comment's scores came from: each model's version and, when on, the encoder's
        (``encoder``), as the worker stores them on the comment (``model_versions``)."""
        encoder = {"encoder": self.encoder_version} if self.encoder_version else {}
        return {**self.versions, **encoder}

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
        top: int | None = None,
        rule: SpanRule | None = SPAN_RULE,
    ) -> dict[str, list[Span]]:
        """For each requested label, the words of the original text that drove it, leading first.

        ``rule`` picks the words shown (``top`` overrides its number of words); ``None`` returns
        every word that pushed the label up, by drop (what ``models/evaluate/spans.py`` chooses
        policies from).
        """
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
        if rule is not None and top is not None:
            rule = replace(rule, top=top)
        for name, labs in by_model.items():
            m = self.models[name]
            Z = m.decision(records)
            if self.encoder is not None and "toxicity" in m.labels:
                Z = self._combined_occlusion(m, labs, Z, records)
            for label in labs:
                j = m.labels.index(label)
                drop = Z[0, j] - Z[1:, j]
                positive = np.clip(drop, 0.0, None)
                total = float(positive.sum())
                weighed: list[Span] = []
                for i in np.argsort(-drop, kind="stable"):
                    if drop[i] <= 1e-6:
                        break
                    where = groups[keys[i]]
                    share = _floor4(float(positive[i]) / total / len(where))
                    d = round(float(drop[i]), 4)
                    weighed += [Span(s, e, text[s:e], share, d) for s, e in where]
                result[label] = weighed if rule is None else select_spans(weighed, rule)
        return result

    def _combined_occlusion(
        self, m: LinearLabels, labels: Sequence[str], Z: np.ndarray, records: Sequence[Any]
    ) -> np.ndarray:
        """Occlusion over the score that ships (the combined one), on a shortlist of words.

        ``Z`` holds the linear decisions of the comment (row 0) and of each word left out. The
        encoder reads one text a call (``models.encoder.BATCH``), ~2.5 ms each: occluding all 40
        words of a long comment took 108 ms of a worker, and explain jobs then delayed verdicts
        (submit→verdict p99 217 ms at 20 comments/s; 64 to 81 ms with the shortlist).
        So only the :data:`ENCODER_OCCLUSIONS` words whose removal lowers the linear score most
        (for any of ``labels``) are scored again with the encoder; the others keep the
        comment's own score (no drop: not shown). A comment with fewer words is explained
        exactly as before. The rule shows 3 words (:data:`SPAN_RULE`).
        """
        assert self.encoder is not None
        columns = [m.labels.index(label) for label in labels]
        drops = (Z[0, columns] - Z[1:, columns]).max(axis=1)
        shortlist = np.argsort(-drops, kind="stable")[:ENCODER_OCCLUSIONS]
        rows = np.concatenate(([0], 1 + np.sort(shortlist)))
        combined = logit(
            self.encoder.proba(m.labels, m.calibrate(Z[rows]), [records[i] for i in rows])
        )
        out = np.repeat(combined[:1], len(Z), axis=0)
        out[rows] = combined
        return out


def _floor4(x: float) -> float:
    """``x`` rounded down to 4 decimals, so that rounded shares still sum to at most 1."""
    return math.floor(x * 10_000) / 10_000


def select_spans(spans: Sequence[Span], rule: SpanRule) -> list[Span]:
    """The spans ``rule`` shows of ``spans`` (every weighed word, by drop), in the order shown.

    Attack words first, by drop; a group's name after them when ``rule.identity_last`` and an
    attack word is shown, its weight then capped just below the attack words' (readers and the
    moderator page order spans by weight; what the model put on the name beyond that is left
    out, so the weights sum to less).  Alone, a flagged group name is what the model read, and
    is shown as such.  Equal drops in a row are one word's occurrences.  At most
    :data:`MAX_SPANS`.
    """
    if not spans:
        return []
    identity = [is_identity_term(s.text) for s in spans]
    attack_top = max((s.drop for s, i in zip(spans, identity, strict=True) if not i), default=0.0)
    lead_by_attack = rule.identity_last and attack_top >= rule.min_drop
    reference = attack_top if lead_by_attack else spans[0].drop
    floor = max(rule.min_drop, rule.relative * reference)
    if rule.redundant and spans[0].drop < rule.min_drop:
        floor = rule.relative * spans[0].drop
    kept: list[tuple[bool, Span]] = []
    words, last = 0, None
    for span, named in zip(spans, identity, strict=True):
        if span.drop < floor:
            break
        if span.drop != last:
            words, last = words + 1, span.drop
            if words > rule.top:
                break
        kept.append((named and lead_by_attack, span))
    # A stable sort: attack words keep their order by drop, the group's names follow them.
    kept.sort(key=lambda pair: pair[0])
    attack_weights = [span.weight for named, span in kept if not named]
    if attack_weights and len(attack_weights) < len(kept):
        cap = round(min(attack_weights) - 0.0001, 4)
        kept = [
            (named, replace(span, weight=min(span.weight, cap)) if named else span)
            for named, span in kept
            if not named or cap > 0
        ]
    return [span for _, span in kept[:MAX_SPANS]]


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
    """Spans of the original text to occlude: its links, e-mails and content words, in order.

    Found in the normalized text (so "y0u 1d10t" yields two words) and widened to the whole
    words of the original they lie in, so "b*tch" (normalized "b", "tch") is one span and
    "f u c k" another; pieces within the same original word are merged.  Spans made only of
    :data:`FUNCTION_WORDS` are left out.  Long comments are cut into at most
    :data:`MAX_OCCLUSIONS` runs of consecutive words.
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
    words = original_words(text)
    starts = [s for s, _ in words]
    orig: list[tuple[int, int]] = []
    grammar: list[bool] = []  # per span of orig: made only of function words so far
    for s, e in pieces:
        os_, oe = to_original_span(offsets, s, e, text)
        if oe <= os_:
            continue
        # Widen to the original words the piece touches.
        k = bisect.bisect_right(starts, os_) - 1
        if k >= 0 and words[k][1] > os_:
            os_ = min(os_, words[k][0])
        k = bisect.bisect_left(starts, oe) - 1
        if k >= 0 and words[k][1] > os_:
            oe = max(oe, words[k][1])
        function = norm[s:e] in FUNCTION_WORDS
        if orig and os_ < orig[-1][1]:
            orig[-1] = (orig[-1][0], max(oe, orig[-1][1]))
            grammar[-1] = grammar[-1] and function
        else:
            orig.append((os_, oe))
            grammar.append(function)
    orig = [span for span, function in zip(orig, grammar, strict=True) if not function]
    if len(orig) > MAX_OCCLUSIONS:
        k = -(-len(orig) // MAX_OCCLUSIONS)
        orig = [(orig[i][0], orig[min(i + k, len(orig)) - 1][1]) for i in range(0, len(orig), k)]
    return orig


def original_words(text: str) -> list[tuple[int, int]]:
    """The words of ``text`` as written, obfuscated ones whole ("b*tch", "f.u.c.k"), in order."""
    out: list[tuple[int, int]] = []
    for m in _ORIGINAL_WORD_RE.finditer(text):
        start = m.start()
        for part in _WORD_BREAK_RE.split(m.group()):
            s, e = start, start + len(part)
            start = e + len(_WORD_BREAK_RE.match(text, e).group()) if e < m.end() else e
            while s < e and text[s] in _WORD_EDGE:
                s += 1
            while e > s and text[e - 1] in _WORD_EDGE:
                e -= 1
            if s < e:
                out.append((s, e))
    return out
