"""Explanation spans against the toxic-spans gold: the metric, the span choice and the offsets."""

from __future__ import annotations

import pytest

from models.artifacts import ARTIFACTS_DIR, load_scorer
from models.evaluate.spans import (
    POLICIES,
    SpanPolicy,
    annotated_gold,
    char_f1,
    choose,
    load_semeval,
    offsets,
    policy_f1,
    predict,
)
from models.scorer import SPAN_RULE, Span, select_spans
from models.training.datasets import default_data_dir

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "raw/civil-comments-toxic-spans").is_dir(),
    reason=f"shared datasets not found at {DATA} (set MODERATION_DATA_DIR)",
)
needs_models = pytest.mark.skipif(
    not (ARTIFACTS_DIR / "manifest.json").exists(), reason="no shipped artifacts"
)


def test_semeval_f1() -> None:
    assert char_f1(frozenset(), frozenset()) == 1.0
    assert char_f1(frozenset({1}), frozenset()) == 0.0
    assert char_f1(frozenset(), frozenset({1})) == 0.0
    assert char_f1(frozenset({1, 2}), frozenset({3})) == 0.0
    # precision 1/2, recall 1/1
    assert char_f1(frozenset({1, 2}), frozenset({1})) == pytest.approx(2 / 3)


TEXT = "you are a stupid lying idiot, honestly"
SPANS = [  # as Scorer.explain(rule=None) returns them: by drop, equal drops = one occluded word
    Span(23, 28, "idiot", 0.45, 3.0),
    Span(10, 16, "stupid", 0.36, 2.4),
    Span(17, 22, "lying", 0.15, 1.0),
    Span(30, 38, "honestly", 0.03, 0.2),
]


def test_choose_by_share_of_the_largest_weight() -> None:
    assert choose(SPANS, TEXT, SpanPolicy("x", top=99, relative=0.7)) == [(10, 16), (23, 28)]
    assert choose(SPANS, TEXT, SpanPolicy("x", top=1)) == [(23, 28)]
    assert choose(SPANS, TEXT, SpanPolicy("x", top=99, min_weight=0.5)) == [
        (10, 16),
        (17, 22),
        (23, 28),
    ]
    assert choose([], TEXT, POLICIES[0]) == []


def test_merge_joins_words_across_spaces_only() -> None:
    merged = choose(SPANS, TEXT, SpanPolicy("x", top=3, merge=True))
    assert merged == [(10, 28)]
    assert TEXT[10:28] == "stupid lying idiot"
    # "honestly" is separated from "idiot" by ", " only: merged too once chosen
    assert choose(SPANS, TEXT, SpanPolicy("x", top=4, merge=True)) == [(10, 38)]
    assert offsets([(0, 3), (4, 5)]) == frozenset({0, 1, 2, 4})


def test_equal_weights_count_as_one_group() -> None:
    repeated = [
        Span(0, 5, "idiot", 0.33, 2.0),
        Span(10, 15, "idiot", 0.33, 2.0),
        Span(20, 23, "bad", 0.33, 1.0),
    ]
    assert choose(repeated, "x" * 30, SpanPolicy("x", top=1)) == [(0, 5), (10, 15)]


def test_the_shipped_policy_is_the_scorers_rule() -> None:
    shipped = next(p for p in POLICIES if p.name == "shipped")
    assert shipped.rule == SPAN_RULE
    # What the worker stores: top 3 words within 0.7 of the largest drop.
    assert choose(SPANS, TEXT, shipped) == [(10, 16), (23, 28)]
    assert choose(SPANS, TEXT, shipped) == sorted(
        (s.start, s.end) for s in select_spans(SPANS, SPAN_RULE)
    )


@needs_data
def test_semeval_test_split_and_raw_gold() -> None:
    posts = load_semeval(DATA, "test")
    assert len(posts) == 2000
    assert all(max(p.gold, default=0) < len(p.text) for p in posts)
    assert sum(not p.gold for p in posts) == 394
    sample = posts[:200]
    raw = annotated_gold(DATA, [p.text for p in sample])
    agreement = sum(char_f1(raw[p.text], p.gold) for p in sample) / len(sample)
    assert 0.7 < agreement < 1.0  # the same annotations, aggregated differently


@needs_models
def test_explanation_offsets_point_at_the_original_characters() -> None:
    from models.evaluate.spans import SpanPost

    scorer = load_scorer()
    text = "Honestly you are an 1d1ot and a m0r0n."
    words = [(text.index(w), text.index(w) + 5) for w in ("1d1ot", "m0r0n")]
    gold = offsets(words)
    [(post, flagged, spans)] = predict(scorer, [SpanPost(text, gold)], flagged_only=False)
    assert flagged
    assert {text[s.start : s.end] for s in spans[:2]} == {"1d1ot", "m0r0n"}
    assert all(text[s.start : s.end] == s.text for s in spans)
    # The two insults, and only they, on the original (re-spelled) characters: F1 1.
    assert policy_f1([(post, flagged, spans)], SpanPolicy("top 2", top=2)) == 1.0
