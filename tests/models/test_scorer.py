"""The shipped artifacts: score ranges, ordering, explanations and the spam cases."""

from __future__ import annotations

import numpy as np
import pytest

from models.artifacts import ARTIFACTS_DIR, load_scorer
from models.labels import LABELS
from models.record import model_input
from models.scorer import Span, combine_logits, fast_transform

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
