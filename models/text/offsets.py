"""Substitution that carries offsets, and mapping spans of normalized text back to the original.

Every stage of normalization rewrites the text through :func:`apply_edits` (or :func:`sub` and
:func:`anchored_sub` on top of it), which keeps, for each output character, the index of the
original character it stands for; :func:`to_original_span` turns those offsets into spans of what
the user wrote, never cutting a grapheme in half.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# A replacement: the new text and, for each of its characters, the index within the match it came
# from. `None` leaves the match unchanged.
Replacement = tuple[str, list[int]] | None


def apply_edits(
    s: str, offsets: list[int] | None, edits: list[tuple[int, int, str, list[int]]]
) -> tuple[str, list[int] | None]:
    """Replace the sorted, non-overlapping spans of `edits`; rebuild `offsets` when given.

    An edit is (start, end, replacement, rel) where rel[k] is the index, within s[start:end], of
    the character that replacement[k] stands for, so every output character keeps pointing at an
    original one.
    """
    if not edits:
        return s, offsets
    parts: list[str] = []
    new_offsets: list[int] | None = [] if offsets is not None else None
    pos = 0
    for start, end, text, rel in edits:
        parts.append(s[pos:start])
        parts.append(text)
        if new_offsets is not None and offsets is not None:
            new_offsets.extend(offsets[pos:start])
            new_offsets.extend(offsets[start + k] for k in rel)
        pos = end
    parts.append(s[pos:])
    if new_offsets is not None and offsets is not None:
        new_offsets.extend(offsets[pos:])
    return "".join(parts), new_offsets


def sub(
    pattern: re.Pattern[str],
    fn: Callable[[re.Match[str]], Replacement],
    s: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """Like `pattern.sub(fn, s)`, carrying offsets; `fn` returns (text, rel) or None to keep."""
    edits = []
    for m in pattern.finditer(s):
        r = fn(m)
        if r is not None:
            edits.append((m.start(), m.end(), r[0], r[1]))
    return apply_edits(s, offsets, edits)


def anchored_sub(
    finder: re.Pattern[str],
    pattern: re.Pattern[str],
    left_chars: frozenset[str],
    fn: Callable[[re.Match[str]], Replacement],
    s: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """`sub` for patterns that are slow to scan for but contain a cheap `finder` marker.

    For each marker, walk left over spaces and `left_chars` to where a match could start and try
    `pattern` there only.
    """
    edits = []
    covered = 0
    for marker in finder.finditer(s):
        if marker.start() < covered:
            continue
        start = marker.start()
        while start > 0 and s[start - 1] == " ":
            start -= 1
        limit = max(0, start - 255)  # no domain or address is longer: keeps this linear
        while start > limit and s[start - 1] in left_chars:
            start -= 1
        m = pattern.match(s, start)
        if m is None or m.end() <= marker.start():
            continue
        r = fn(m)
        if r is not None:
            edits.append((m.start(), m.end(), r[0], r[1]))
        covered = m.end()
    return apply_edits(s, offsets, edits)


# Characters that belong to the grapheme before them: a span ending on a base character is extended
# over them so it never cuts a grapheme in half.
_EXTENDING_CATEGORIES = frozenset({"Mn", "Me", "Mc"})
_ZWJ = "\u200d"


def _extends_grapheme(ch: str) -> bool:
    """True when `ch` continues the grapheme before it (marks, variation selectors, skin tones)."""
    return (
        unicodedata.category(ch) in _EXTENDING_CATEGORIES
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
        or ch == "\u200c"
    )


def to_original_span(offsets: list[int], start: int, end: int, original: str) -> tuple[int, int]:
    """Map a [start, end) span of normalized text to a [start, end) span of `original`.

    The end covers the whole last original character: an NFKC expansion ("ﬁ" -> "fi"), combining
    marks after it, and emoji joined to it with a zero-width joiner. Out-of-range spans are clamped;
    an empty span maps to an empty span at its position. Offsets of text that bidirectional
    controls reversed run backwards: the span covers the first to the last character it came from.
    """
    n = len(offsets)
    start = max(0, min(start, n))
    end = max(start, min(end, n))
    if start == end:
        pos = offsets[start] if start < n else len(original)
        return pos, pos
    orig_start = min(offsets[start:end])
    orig_end = max(offsets[start:end]) + 1
    while orig_end < len(original):
        ch = original[orig_end]
        if ch == _ZWJ and orig_end + 1 < len(original):
            orig_end += 2
        elif _extends_grapheme(ch):
            orig_end += 1
        else:
            break
    return orig_start, orig_end
