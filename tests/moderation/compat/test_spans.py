"""UTF-16 offsets and sentence spans, as Perspective clients count them."""

from __future__ import annotations

import pytest

from moderation.compat.spans import sentences, to_utf16, utf16_length, utf16_offsets


def js_slice(text: str, begin: int, end: int) -> str:
    """What JavaScript's ``text.slice(begin, end)`` returns: UTF-16 code units."""
    units = text.encode("utf-16-le")
    return units[2 * begin : 2 * end].decode("utf-16-le")


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii text",
        "👋 you idiot",
        "café 😀😀 naïve",
        "\U0001d573\U0001d58a\U0001d591\U0001d591\U0001d594 (astral letters) and 日本語",
        "family 👨‍👩‍👧 emoji with joiners and flags 🇫🇷",
    ],
)
def test_offsets_agree_with_javascript(text: str) -> None:
    offsets = utf16_offsets(text)
    assert offsets[-1] == utf16_length(text) == len(text.encode("utf-16-le")) // 2
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1, 3):
            begin, stop = to_utf16(text, start, end)
            assert (begin, stop) == (offsets[start], offsets[end])
            assert js_slice(text, begin, stop) == text[start:end]


def test_astral_characters_take_two_units() -> None:
    text = "👋 you idiot"
    start = text.index("you")
    assert start == 2
    assert to_utf16(text, start, len(text)) == (3, 12)


def test_a_span_outside_the_text_is_refused() -> None:
    with pytest.raises(ValueError):
        to_utf16("abc", 2, 4)


def test_sentences_are_stripped_spans() -> None:
    text = "First one. Second?! \n third without end"
    found = [text[a:b] for a, b in sentences(text)]
    assert found == ["First one.", "Second?!", "third without end"]


def test_text_without_punctuation_is_one_sentence() -> None:
    assert list(sentences("  just words  ")) == [(2, 12)]
    assert list(sentences("   ")) == []
