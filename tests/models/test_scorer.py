"""The shipped artifacts: score ranges, ordering, explanations and the spam cases."""

from __future__ import annotations

import re

import numpy as np
import pytest

from models.artifacts import ARTIFACTS_DIR, load_scorer
from models.labels import LABELS
from models.record import model_input
from models.scorer import (
    FUNCTION_WORDS,
    SPAN_RULE,
    Span,
    SpanRule,
    candidate_spans,
    combine_logits,
    fast_transform,
    is_identity_term,
    original_words,
    select_spans,
)

pytestmark = pytest.mark.skipif(
    not (ARTIFACTS_DIR / "manifest.json").exists(), reason="no shipped artifacts in models/"
)


@pytest.fixture(scope="module")
def scorer():
    return load_scorer()


def test_interface(scorer) -> None:
    assert set(scorer.versions) == {"spam", "toxicity"}
    assert scorer.label_models["spam"] == "spam"
    assert all(scorer.label_models[k] == "toxicity" for k in LABELS if k != "spam")
    assert set(scorer.thresholds) == set(LABELS)
    assert all(0 < t < 1 for t in scorer.thresholds.values())


def test_scores_are_probabilities_for_every_label(scorer) -> None:
    out = scorer.score(
        [
            {"text": "Thanks for the article."},
            {"text": "", "name": None},
            {"text": "x" * 5000, "name": "a", "email": "a@b.c", "url": "http://a.b"},
            {"text": "🙂🙂🙂 ​ ‮"},
        ]
    )
    assert len(out) == 4
    for d in out:
        assert tuple(d) == LABELS
        assert all(0.0 <= v <= 1.0 for v in d.values())
    assert scorer.score([]) == []


def test_toxic_scores_above_clean(scorer) -> None:
    toxic, clean = scorer.score(
        [
            {"text": "You are a disgusting, worthless idiot and everyone hates you."},
            {"text": "I enjoyed this article about the new library, thanks for writing it."},
        ]
    )
    assert toxic["toxicity"] > 0.8 > 0.2 > clean["toxicity"]
    assert toxic["insult"] > clean["insult"]


def test_threat_scores_as_threat(scorer) -> None:
    (s,) = scorer.score([{"text": "I am going to find you and kill you."}])
    assert s["threat"] >= scorer.thresholds["threat"]


def test_spam_link_money_flagged_and_news_citation_passes(scorer) -> None:
    spam, cite = scorer.score(
        [
            {"text": "Make $500 a day from home!!! Visit http://bit.ly/easy-cash now"},
            {
                "text": "The figures come from the census bureau, see "
                "https://www.census.gov/library/stories.html for the tables."
            },
        ]
    )
    assert spam["spam"] >= scorer.thresholds["spam"]
    assert cite["spam"] < scorer.thresholds["spam"]


def _words(spans: list[Span]) -> set[str]:
    return {s.text.lower() for s in spans}


def test_explanation_offsets_point_into_original(scorer) -> None:
    text = "Honestly, y0u 1d10t, nobody asked."
    exp = scorer.explain({"text": text}, ["toxicity", "insult"])
    assert set(exp) == {"toxicity", "insult"}
    spans = exp["insult"]
    assert spans, "an insult must be explained"
    for s in spans:
        assert isinstance(s, Span)
        assert text[s.start : s.end] == s.text
        assert s.weight > 0
    assert spans[0].text == "1d10t"


def test_explanation_of_spaced_and_lookalike_words(scorer) -> None:
    text = "you are a f u c k i n g м0r0n"
    spans = scorer.explain({"text": text}, ["toxicity"], top=3)["toxicity"]
    found = _words(spans)
    assert "f u c k i n g" in found or "м0r0n" in found
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_explanation_of_spam_link(scorer) -> None:
    text = "Earn money fast!!! visit cash4you dot com today"
    spans = scorer.explain({"text": text}, ["spam"], top=3)["spam"]
    assert spans
    for s in spans:
        assert text[s.start : s.end] == s.text
    assert any("cash4you" in s.text for s in spans)


def test_explain_unknown_label_and_empty_text(scorer) -> None:
    assert scorer.explain({"text": "hello"}, ["nope"]) == {}
    assert scorer.explain({"text": "   "}, ["toxicity"]) == {"toxicity": []}


def test_fast_path_equals_pipeline(scorer) -> None:
    recs = [
        model_input({"text": t, "name": "n", "url": "http://example.org"})
        for t in ("An ordinary comment.", "", "y0u 1d10t http://bit.ly/x", "É 🙂")
    ]
    for m in scorer.models.values():
        slow = m.features.transform(recs)
        fast = fast_transform(m.features, recs)
        assert slow.shape == fast.shape
        assert abs(slow - fast).max() < 1e-9
        z = np.asarray(slow @ m.W) + m.b
        assert np.allclose(combine_logits(z, m.combine), m.decision(recs))


def test_toxicity_is_the_noisy_or_of_its_heads(scorer) -> None:
    m = scorer.models["toxicity"]
    recs = [model_input({"text": t}) for t in ("I will stab you", "You idiot.", "Nice day.")]
    z = np.asarray(m.features.transform(recs) @ m.W) + m.b
    parts = 1.0 / (1.0 + np.exp(-z))
    expected = 1.0 - np.prod(1.0 - parts, axis=1)
    j = m.labels.index("toxicity")
    got = 1.0 / (1.0 + np.exp(-m.decision(recs)[:, j]))
    assert np.allclose(got, expected)
    # The combined label fires at least as much as any of its heads before calibration.
    assert (got >= parts.max(axis=1) - 1e-12).all()


def test_explanation_of_repeated_and_obfuscated_repeats(scorer) -> None:
    text = "The mayor is an idiot. " * 6 + "A real 1d10t."
    spans = scorer.explain({"text": text}, ["insult"], top=10)["insult"]
    idiots = [s for s in spans if s.text.lower() in ("idiot", "1d10t")]
    assert len(idiots) == 7, spans
    assert spans[0].text.lower() in ("idiot", "1d10t")
    for s in spans:
        assert text[s.start : s.end] == s.text


# The span rules (issue 21): whole words of the original, no function words, grouped by word,
# attack words before the group they target, weights as shares of the score.
def _is_whole_word(text: str, s: Span) -> bool:
    """Whether ``s`` starts and ends at word boundaries of ``text`` (obfuscation included)."""
    inside = re.compile(r"[\w*@$!.'\u2019#%+-]")
    before = text[s.start - 1] if s.start > 0 else " "
    after = text[s.end] if s.end < len(text) else " "
    return not (inside.match(before) and before not in ".!'-") and not (
        inside.match(after) and after not in ".!'-"
    )


def test_candidate_spans_are_whole_words_without_function_words() -> None:
    text = "Shut up, you b*tch: a f.u.c.k id10t of a man... idiot...moron"
    words = [text[s:e] for s, e in candidate_spans(text)]
    assert words == ["Shut", "b*tch", "f.u.c.k", "id10t", "man", "idiot", "moron"]
    assert not {"a", "of", "up", "you", "tch", "b"} & set(words)
    assert original_words("'quoted', sh!t $hit f***!") == [(1, 7), (10, 14), (15, 19), (20, 24)]


def test_function_words_are_never_shown(scorer) -> None:
    text = "Shut up you are a disgrace of a human, go away and stay out."
    spans = scorer.explain({"text": text}, ["toxicity"], rule=None)["toxicity"]
    assert spans
    shown = {s.text.lower() for s in spans}
    assert not shown & FUNCTION_WORDS, shown


def test_obfuscated_words_are_shown_whole(scorer) -> None:
    text = "you stupid b*tch, you f.u.c.k.i.n.g id10t"
    # Over both labels: which word moves which label is the model's business (3.1's toxicity
    # barely moves without "id10t", its insult does); how a word is cut is the test's.
    explained = scorer.explain({"text": text}, ["toxicity", "insult"], rule=None)
    spans = [s for label_spans in explained.values() for s in label_spans]
    shown = {s.text for s in spans}
    assert "f.u.c.k.i.n.g" in shown and "id10t" in shown
    assert not {"tch", "b", "f", "k"} & shown
    assert all(_is_whole_word(text, s) for s in spans)


def test_spans_are_grouped_by_word(scorer) -> None:
    # A spaced-out word is one span; every occurrence of a word shares one occlusion.
    text = "you f u c k i n g moron, a moron"
    spans = scorer.explain({"text": text}, ["toxicity"], rule=None)["toxicity"]
    assert "f u c k i n g" in {s.text for s in spans}
    morons = [s for s in spans if s.text == "moron"]
    assert len(morons) == 2 and morons[0].weight == morons[1].weight
    starts = [s.start for s in spans]
    assert len(starts) == len(set(starts)), "a word is shown once"


def test_the_attack_leads_not_the_group_it_targets(scorer) -> None:
    for text, attack in (
        ("These immigrants are vermin.", "vermin"),
        ("Muslims are terrorists.", "terrorists"),
    ):
        spans = scorer.explain({"text": text}, ["toxicity"])["toxicity"]
        assert spans and spans[0].text == attack, spans
        assert spans[0].weight == max(s.weight for s in spans)
    # Alone, a group name the model reacts to is shown as what it read.
    assert is_identity_term("immigrants") and is_identity_term("Jews")
    assert not is_identity_term("vermin")


def test_select_spans_puts_identity_terms_after_attack_words() -> None:
    spans = [
        Span(6, 16, "immigrants", 0.6, 2.9),
        Span(21, 27, "vermin", 0.3, 1.3),
        Span(28, 31, "and", 0.1, 0.4),
    ]
    shown = select_spans(spans, SpanRule(top=3, min_drop=0.1, relative=0.7))
    assert [s.text for s in shown] == ["vermin", "immigrants"]
    # Lower weight too (pages sort by weight); the drop still tells what the model did.
    assert [s.weight for s in shown] == [0.3, 0.2999] and shown[1].drop == 2.9
    # The largest attack word, not the group's name, sets the bar: "and" (0.4 < 0.7 x 1.3) out.
    only_group = select_spans(spans[:1], SPAN_RULE)
    assert [s.text for s in only_group] == ["immigrants"]
    plain = select_spans(spans, SpanRule(identity_last=False))
    assert [s.text for s in plain] == ["immigrants"]
    assert select_spans([], SPAN_RULE) == []


def test_weights_are_shares_of_the_score(scorer) -> None:
    for text in (
        "You are a worthless idiot, shut up you stupid moron.",
        "The mayor is an idiot. " * 4,
        "These immigrants are vermin.",
    ):
        every = scorer.explain({"text": text}, ["toxicity"], rule=None)["toxicity"]
        shown = scorer.explain({"text": text}, ["toxicity"])["toxicity"]
        assert shown
        assert all(0.0 < s.weight <= 1.0 for s in every)
        assert sum(s.weight for s in every) <= 1.0 + 1e-9
        assert sum(s.weight for s in shown) <= 1.0 + 1e-9
        # The share follows the logit drop: larger drop, larger share (per occurrence).
        by_drop = sorted({(s.drop, s.weight * sum(t.drop == s.drop for t in every)) for s in every})
        assert [w for _, w in by_drop] == sorted(w for _, w in by_drop)


LONG_TOXIC = (
    "I read the whole piece and honestly the author is a complete moron who has no idea what "
    "NATO even does, typical garbage from this rag of a paper and its idiot readers who lap it "
    "up every single day."
)


def test_the_encoder_rescores_a_shortlist_and_shows_the_same_words(
    scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long comment: occluding only the linear model's top words with the encoder shows the
    words occluding every word shows; a short comment is explained exactly as before."""
    import models.scorer as module

    if scorer.encoder is None:
        pytest.skip("the encoder is off (MODERATION_ENCODER=off)")
    assert len(set(candidate_spans(LONG_TOXIC))) > module.ENCODER_OCCLUSIONS
    short = "You are a stupid idiot."
    labels = ["toxicity", "insult"]
    shortlisted = scorer.explain({"text": LONG_TOXIC}, labels)
    short_before = scorer.explain({"text": short}, labels)
    monkeypatch.setattr(module, "ENCODER_OCCLUSIONS", 10**6)
    everything = scorer.explain({"text": LONG_TOXIC}, labels)
    assert scorer.explain({"text": short}, labels) == short_before
    for label in labels:
        assert [s.text for s in shortlisted[label]] == [s.text for s in everything[label]]
        assert {"moron", "idiot"} <= _words(shortlisted[label])
