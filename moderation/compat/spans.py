"""Text positions as the foreign protocols count them: UTF-16 code units, sentences.

Python indexes a ``str`` by code point; Perspective (a JavaScript/Java world) counts UTF-16 code
units, where every character beyond U+FFFF (most emoji, many CJK extensions) takes two. So the
same span of ``"👋 you idiot"`` is ``[2, 11)`` in Python and ``[3, 12)`` for Perspective. Everything
that leaves this service towards such a client goes through :func:`utf16_offsets` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A sentence: a run up to and including its closing punctuation, or up to a line break / the end.
SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+|\n|$)")
ASTRAL = 0xFFFF


def utf16_length(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (surrogate pairs count two)."""
    return len(text) + sum(1 for char in text if ord(char) > ASTRAL)


def utf16_offsets(text: str) -> list[int]:
    """``offsets[i]``: the UTF-16 position of the code point at Python index ``i``.

    One entry more than ``len(text)``, so an exclusive end index maps too.
    """
    offsets = [0] * (len(text) + 1)
    position = 0
    for index, char in enumerate(text):
        offsets[index] = position
        position += 2 if ord(char) > ASTRAL else 1
    offsets[len(text)] = position
    return offsets


def to_utf16(text: str, start: int, end: int) -> tuple[int, int]:
    """A Python ``[start, end)`` span of ``text`` as UTF-16 ``(begin, end)``, end exclusive."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span [{start}, {end}) is outside a text of {len(text)} characters")
    prefix = utf16_length(text[:start])
    return prefix, prefix + utf16_length(text[start:end])


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """The Python ``[start, end)`` spans of the sentences of ``text``, stripped of whitespace.

    Perspective scores spans at about sentence level; so do we. Text without any sentence
    punctuation is one span.
    """
    for match in SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            yield start, end
