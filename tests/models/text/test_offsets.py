"""Offsets of normalized text back into the original: words, removed characters, graphemes."""

# Look-alike characters are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from models.text import normalize_with_offsets, to_original_span
from tests.models.text.corpus import assert_offsets_valid


def original_of(text: str, word: str) -> str:
    """The original text behind the first occurrence of `word` in the normalized text."""
    norm, offsets = assert_offsets_valid(text)
    start = norm.index(word)
    a, b = to_original_span(offsets, start, start + len(word), text)
    return text[a:b]


@pytest.mark.parametrize(
    ("text", "word", "original"),
    [
        ("You are an IDIOT!", "idiot", "IDIOT"),
        ("You are an id\u200biot!", "idiot", "id\u200biot"),
        ("\u200b\u200bidiot\u200b", "idiot", "idiot"),
        ("You are an іdіоt!", "idiot", "іdіоt"),
        ("ＹＯＵ ＩＤＩＯＴ", "idiot", "ＩＤＩＯＴ"),
        ("ﬁne ﬁsh", "fine", "ﬁne"),
        ("a ﬁ b", "f", "ﬁ"),  # half of an NFKC expansion still maps to the whole character
        ("Straße", "ss", "ß"),
        ("you f u c k i n g moron", "fucking", "f u c k i n g"),
        ("you i.d.i.o.t", "idiot", "i.d.i.o.t"),
        ("what an 1d10t", "idiot", "1d10t"),
        ("f̸u̷c̶k̴ off", "fuck", "f̸u̷c̶k̴"),  # the last mark belongs to the span
        ("fu\u0308ck off", "fuck", "fu\u0308ck"),
        ("so stuuuuupid", "stuupid", "stuuuuupid"),
        ("go to example dot com now", "example.com", "example dot com"),
        ("go to e x a m p l e . c o m now", "example.com", "e x a m p l e . c o m"),
        ("hxxps[:]//evil[.]com/x ok", "https://evil.com/x", "hxxps[:]//evil[.]com/x"),
        ("mail name[at]example[.]com", "name@example.com", "name[at]example[.]com"),
        ("x  \n\t y", "x y", "x  \n\t y"),
        ("I paid $20 today", "$20", "$20"),
        ("nice 👍🏽 thanks", "👍🏽", "👍🏽"),  # skin tone modifier kept with its emoji
    ],
)
def test_offsets_point_at_the_original_words(text: str, word: str, original: str) -> None:
    assert original_of(text, word) == original


def test_offsets_of_every_character_of_plain_text_are_identity() -> None:
    text = "Nothing to change here, 42 times."
    norm, offsets = normalize_with_offsets(text)
    assert offsets == list(range(len(text)))
    assert norm == text.lower()


def test_offsets_skip_removed_characters() -> None:
    text = "a\u200bb\u200bc"
    norm, offsets = normalize_with_offsets(text)
    assert norm == "abc"
    assert offsets == [0, 2, 4]


def test_span_extends_over_zwj_emoji_sequence() -> None:
    text = "family 👨\u200d👩\u200d👧 here"
    norm, offsets = normalize_with_offsets(text)
    start = norm.index("👨")
    a, b = to_original_span(offsets, start, start + 1, text)
    assert text[a:b] == "👨\u200d👩\u200d👧"


def test_to_original_span_edges() -> None:
    text = "ab\u200bcd"
    norm, offsets = normalize_with_offsets(text)
    assert norm == "abcd"
    assert to_original_span(offsets, 0, 4, text) == (0, 5)
    assert to_original_span(offsets, 2, 2, text) == (3, 3)  # empty span at its position
    assert to_original_span(offsets, 4, 4, text) == (5, 5)  # empty span at the end
    assert to_original_span(offsets, -3, 99, text) == (0, 5)  # clamped
    assert to_original_span(offsets, 3, 1, text) == (4, 4)  # end before start: empty
    assert to_original_span([], 0, 0, "") == (0, 0)
