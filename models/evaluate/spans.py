"""Explanation spans measured against human-marked toxic spans (SemEval-2021 Task 5 metric).

The Civil Comments toxic-spans set (``raw/civil-comments-toxic-spans``) marks, for news comments
once rated toxic, the characters that make them toxic.  We score our explanations the way
SemEval-2021 Task 5 scored its systems: per post, the F1 of the predicted character offsets
against the gold ones (1.0 when both are empty, 0.0 when only one is), averaged over posts.

Gold: the official SemEval split files (``tsd_test.csv`` for the headline figure, ``tsd_train``
for choosing how spans are picked), whose ``spans`` are the task's released ground truth.  The
same comments can also be read from the raw annotations (:func:`annotated_gold`: a character is
toxic when at least two of the comment's annotators marked it); that gold agrees with the
official one exactly on 71% of the test posts (mean F1 0.785 between the two), so it is
reported beside it, not instead.

Predicted spans: the occlusion explanation of the ``toxicity`` score (``Scorer.explain`` with
``rule=None``: every content word of the original text with the drop in the logit when it is
removed).  Two settings: every post explained, as SemEval's systems did (its posts were all once
rated toxic), and only the posts the service flags (an unflagged comment shows no toxicity
explanation, so its prediction is empty).  :class:`SpanPolicy` chooses which of the explained
words become spans; every policy only picks among the words the model itself weighs most, so the
spans stay an honest account of the score.  The policy the worker stores
(``models.scorer.SPAN_RULE``, through ``models.scorer.select_spans``) is the row ``shipped``.
The model explained must not have seen the test comments: :func:`held_out_scorer`.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from models.scorer import SPAN_RULE, SpanRule, select_spans

TOXIC_SPANS = "raw/civil-comments-toxic-spans"
# A policy's "every word": more words than any post has.
ALL_SPANS = 10_000


@dataclass(frozen=True)
class SpanPost:
    """One post of the toxic-spans set: its text and gold character offsets."""

    text: str
    gold: frozenset[int]


@dataclass(frozen=True)
class SpanPolicy:
    """Which explained words become spans.

    ``top``: at most this many word groups (the scorer's own default is 5); ``min_weight``: a
    group's drop in the logit (``Span.drop``) must reach this; ``relative``: and this fraction
    of the largest drop; ``merge``: adjacent chosen words separated only by spaces or
    punctuation become one span with what lies between them (gold spans of a phrase include its
    inner spaces); ``rule``: a scorer rule instead (``models.scorer.select_spans``), the others
    then unused.
    """

    name: str
    top: int = 5
    min_weight: float = 1e-6
    relative: float = 0.0
    merge: bool = False
    rule: SpanRule | None = None


POLICIES = (
    SpanPolicy("top 5 words (1.2.0)"),
    SpanPolicy("top 1 word", top=1),
    SpanPolicy("top 2 words", top=2),
    SpanPolicy("weight >= 0.5 max", top=ALL_SPANS, relative=0.5),
    SpanPolicy("weight >= 0.7 max", top=ALL_SPANS, relative=0.7),
    SpanPolicy("weight >= 0.7 max, merged", top=ALL_SPANS, relative=0.7, merge=True),
    SpanPolicy("weight >= 0.85 max", top=ALL_SPANS, relative=0.85),
    SpanPolicy("top 5, >= 0.7 max, >= 0.5", relative=0.7, min_weight=0.5),
    SpanPolicy("top 3, >= 0.6 max", top=3, relative=0.6),
    SpanPolicy("shipped", rule=SPAN_RULE),
)


class Explainer(Protocol):
    """What the evaluation needs of a scorer (``models.scorer.Scorer`` is one)."""

    thresholds: dict[str, float]

    def score(self, comments: Sequence[dict[str, Any]]) -> list[dict[str, float]]: ...

    def explain(self, comment: dict[str, Any], labels: Iterable[str], rule: Any = ...) -> Any: ...


def char_f1(pred: frozenset[int] | set[int], gold: frozenset[int] | set[int]) -> float:
    """SemEval-2021 Task 5 F1 of one post: 1.0 if both are empty, 0.0 if only one is."""
    if not pred and not gold:
        return 1.0
    tp = len(pred & gold)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(pred), tp / len(gold)
    return 2 * precision * recall / (precision + recall)


def load_semeval(data_dir: Path, split: str = "test") -> list[SpanPost]:
    """The posts of ``tsd_<split>.csv`` with their official gold offsets, each text once."""
    path = Path(data_dir) / TOXIC_SPANS / f"tsd_{split}.csv"
    posts: dict[str, SpanPost] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            posts.setdefault(
                r["text"], SpanPost(r["text"], frozenset(ast.literal_eval(r["spans"])))
            )
    return list(posts.values())


def annotated_gold(
    data_dir: Path, texts: Iterable[str], min_annotators: int = 2
) -> dict[str, frozenset[int]]:
    """Gold offsets of ``texts`` from the raw annotations: marked by >= ``min_annotators``."""
    base = Path(data_dir) / TOXIC_SPANS
    wanted = set(texts)
    ids: dict[str, str] = {}
    with (base / "comments.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["comment_text"] in wanted:
                ids.setdefault(r["comment_id"], r["comment_text"])
    comment_of: dict[str, str] = {}
    with (base / "annotations.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["comment_id"] in ids:
                comment_of[r["annotation"]] = r["comment_id"]
    marked: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    with (base / "spans.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            cid = comment_of.get(r["annotation"])
            if cid is not None and r["start"].strip() and r["end"].strip():
                marked[cid][r["annotation"]].update(range(int(r["start"]), int(r["end"])))
    out: dict[str, frozenset[int]] = {}
    for cid, text in ids.items():
        counts: Counter[int] = Counter()
        for chars in marked[cid].values():
            counts.update(chars)
        out.setdefault(text, frozenset(i for i, k in counts.items() if k >= min_annotators))
    return out


def choose(spans: Sequence[Any], text: str, policy: SpanPolicy) -> list[tuple[int, int]]:
    """The (start, end) spans ``policy`` keeps of an explanation ``spans`` (sorted by drop)."""
    if not spans:
        return []
    if policy.rule is not None:
        return sorted((s.start, s.end) for s in select_spans(spans, policy.rule))
    top = max(s.drop for s in spans)
    kept, groups = [], 0
    last_drop = None
    for s in spans:
        if s.drop < policy.min_weight or s.drop < policy.relative * top:
            break
        if s.drop != last_drop:
            groups += 1
            last_drop = s.drop
            if groups > policy.top:
                break
        kept.append((s.start, s.end))
    kept.sort()
    if not policy.merge:
        return kept
    merged: list[tuple[int, int]] = []
    for start, end in kept:
        if merged and not any(c.isalnum() for c in text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def offsets(spans: Iterable[tuple[int, int]]) -> frozenset[int]:
    """The character offsets covered by ``spans``."""
    return frozenset(i for s, e in spans for i in range(s, e))


def predict(
    scorer: Explainer, posts: Sequence[SpanPost], label: str = "toxicity", flagged_only: bool = True
) -> list[tuple[SpanPost, bool, list[Any]]]:
    """Per post: whether the label is flagged, and its full explanation (every weighed word).

    ``flagged_only``: explain only what the service would flag (else every post).
    """
    scores = scorer.score([{"text": p.text} for p in posts])
    threshold = scorer.thresholds[label]
    out = []
    for post, score in zip(posts, scores, strict=True):
        flagged = score[label] >= threshold
        explain = flagged or not flagged_only
        spans = scorer.explain({"text": post.text}, [label], rule=None)[label] if explain else []
        out.append((post, flagged, spans))
    return out


def policy_f1(
    predicted: Sequence[tuple[SpanPost, bool, list[Any]]],
    policy: SpanPolicy,
    gold: dict[str, frozenset[int]] | None = None,
) -> float:
    """Mean per-post F1 of ``policy`` over ``predicted`` (gold of each post, or from ``gold``)."""
    total = 0.0
    for post, _, spans in predicted:
        g = post.gold if gold is None else gold.get(post.text, post.gold)
        total += char_f1(offsets(choose(spans, post.text, policy)), g)
    return total / max(1, len(predicted))


def held_out_scorer(rows: Sequence[Any], data_dir: Path, artifacts_dir: Path, seed: int = 0) -> Any:
    """A scorer whose toxicity model never saw a test-split comment (nor a sentence cut from one).

    The toxicity model is retrained with the shipped configuration on ``rows`` minus the
    SemEval test comments and any row whose text lies inside one (ParaDetox sentences were cut
    from these comments); the spam model is the shipped one (explanations of toxicity do not
    read it).
    """
    from models.artifacts import load_models
    from models.scorer import Scorer
    from models.training.datasets import dedupe_key
    from models.training.train import train_toxicity

    test_keys = {dedupe_key(p.text) for p in load_semeval(data_dir, "test")}
    joined = "\n".join(sorted(test_keys))
    kept = [
        r
        for r in rows
        if (k := dedupe_key(r.text)) not in test_keys and not (len(k) >= 20 and k in joined)
    ]
    art, info, _ = train_toxicity(kept, seed)
    models, manifest = load_models(artifacts_dir)
    models = {"spam": models["spam"], "toxicity": art}
    manifest = {
        "models": {
            "spam": manifest["models"]["spam"],
            "toxicity": {"version": "toxicity-held-out-semeval-test"},
        },
        "thresholds": {**manifest["thresholds"], **{k: v["threshold"] for k, v in info.items()}},
    }
    return Scorer(models, manifest)


def evaluate_spans(
    scorer: Explainer, data_dir: Path, *, tune_posts: int = 600, seed: int = 0
) -> dict[str, Any]:
    """Span F1 on the SemEval test split, for every :data:`POLICIES` entry.

    Two settings: ``shown`` explains only the posts the service flags for toxicity (what a
    moderator sees); ``every_post`` explains every post, as SemEval's systems did (all its
    posts were once rated toxic).  The policy to ship is chosen on ``tune_posts`` posts of the
    train split, never on the test split.
    """
    train = load_semeval(data_dir, "train")
    random.Random(seed).shuffle(train)
    tuned = predict(scorer, train[:tune_posts], flagged_only=False)
    on_train = {p.name: round(policy_f1(tuned, p), 4) for p in POLICIES}
    best = max(POLICIES, key=lambda p: on_train[p.name])
    test = load_semeval(data_dir, "test")
    every = predict(scorer, test, flagged_only=False)
    shown = [(post, flagged, spans if flagged else []) for post, flagged, spans in every]
    raw = annotated_gold(data_dir, [p.text for p in test])
    return {
        "test_posts": len(test),
        "flagged": sum(f for _, f, _ in every),
        "gold_empty": sum(not p.gold for p in test),
        "chosen_policy": best.name,
        "train_f1_every_post": on_train,
        "every_post": {p.name: round(policy_f1(every, p), 4) for p in POLICIES},
        "shown": {p.name: round(policy_f1(shown, p), 4) for p in POLICIES},
        "every_post_raw_gold": {p.name: round(policy_f1(every, p, raw), 4) for p in POLICIES},
        "whole_post_if_flagged": round(
            sum(
                char_f1(frozenset(range(len(p.text))) if f else frozenset(), p.gold)
                for p, f, _ in every
            )
            / max(1, len(test)),
            4,
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m models.evaluate.spans --artifacts DIR``: :func:`evaluate_spans` of DIR's models.

    Quicker than ``moderation evaluate``, which retrains the toxicity model without the test
    comments (:func:`held_out_scorer`): DIR's toxicity model must itself never have seen them, as
    1.2.0's did not (its files: ``git show 2bec1eb~1:models/artifacts/FILE`` for
    ``manifest.json``, ``toxicity.skops`` and ``spam.skops``).
    """
    from models.artifacts import load_models
    from models.scorer import Scorer
    from models.training.datasets import default_data_dir

    parser = argparse.ArgumentParser(prog="python -m models.evaluate.spans")
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args(argv)
    models, manifest = load_models(args.artifacts)
    figures = evaluate_spans(Scorer(models, manifest), args.data or default_data_dir())
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
