"""models.training.perturb (evasion for tests and evaluation), and normalize undoing it."""

from __future__ import annotations

import random

import pytest

from models.text import normalize
from models.training.perturb import TECHNIQUES, perturb, perturb_word
from tests.models.text.corpus import CORPUS


def test_perturb_is_deterministic_for_a_seed() -> None:
    first = [perturb(t, random.Random(7)) for t in CORPUS]
    second = [perturb(t, random.Random(7)) for t in CORPUS]
    assert first == second
    assert first != CORPUS


def test_perturb_keeps_links_addresses_and_numbers_recognizable() -> None:
    rng = random.Random(3)
    text = "Mail jane.doe@example.org, call +44 7935 454150, pay $20 for 3 @jane_doe"
    for _ in range(50):
        out = perturb(text, rng, rate=1.0)
        for kept in ("jane.doe@example.org", "+44 7935 454150", "$20", " 3 ", "@jane_doe"):
            assert kept in out


@pytest.mark.parametrize("technique", sorted(TECHNIQUES))
def test_each_technique_changes_the_word(technique: str) -> None:
    rng = random.Random(1)
    for word in ("idiot", "Stupid", "loser", "pathetic"):
        assert perturb_word(word, rng, technique) != word


@pytest.mark.parametrize(
    "technique", ["homoglyphs", "fancy", "zero_width", "leetspeak", "spaced", "dotted"]
)
def test_normalize_undoes_each_technique_on_single_words(technique: str) -> None:
    rng = random.Random(2)
    for text in CORPUS:
        for _ in range(5):
            out = perturb_word("worthless", rng, technique)
            assert normalize(text + " " + out + " now") == normalize(text + " worthless now")


def test_normalize_undoes_stretching_to_two_letters() -> None:
    rng = random.Random(4)
    for word in ("stupid", "idiot", "loser", "please"):
        out = normalize(perturb_word(word, rng, "stretched"))
        assert out != word
        # one letter doubled, the rest intact
        assert len(out) == len(word) + 1
        assert "".join(ch for k, ch in enumerate(out) if k == 0 or out[k - 1] != ch) == "".join(
            ch for k, ch in enumerate(word) if k == 0 or word[k - 1] != ch
        )


def test_normalize_undoes_link_obfuscation() -> None:
    rng = random.Random(5)
    for text in (
        "visit example.com now",
        "see www.example.org/page for more",
        "at http://www.spam-site.net/offer?id=1 today",
        "go to http://example.com",
    ):
        for _ in range(20):
            out = perturb(text, rng, rate=0.0)  # links only
            assert normalize(out) == normalize(text), out


def perturb_word_in_text(text: str, rng: random.Random, technique: str) -> str:
    """Apply `technique` to one random word of >= 4 letters of `text` (none if there is none)."""
    words = [w for w in text.split(" ") if w.isalpha() and len(w) >= 4]
    if not words:
        return text
    word = rng.choice(words)
    return text.replace(" " + word + " ", " " + perturb_word(word, rng, technique) + " ", 1)


def test_normalize_perturb_agrees_on_most_comments() -> None:
    """The robustness target: normalize(perturb(x)) == normalize(x) apart from stretched letters
    and words spaced out next to single-letter words ("t e s t I have" reads as "testi")."""
    without_stretching = {name: fn for name, fn in TECHNIQUES.items() if name != "stretched"}
    rng = random.Random(6)
    same = total = 0
    for text in CORPUS * 20:
        out = text
        for name in rng.sample(sorted(without_stretching), 2):
            out = perturb_word_in_text(out, rng, name)
        total += 1
        same += normalize(out) == normalize(text)
    assert same / total >= 0.9
