"""Stage 1 of normalization: characters one by one (NFKC, case, invisible and format characters).

Format characters (Unicode category Cf: zero-width spaces and joiners, bidirectional controls,
once the text they reorder is in reading order, tag characters),
surrogates, private-use and unassigned code points are removed here, and only here; so are the
invisible characters of :data:`INVISIBLE` and combining marks on Latin letters ("Zalgo").
Look-alikes are mapped through :mod:`models.text.lookalikes`; whitespace runs become one space.
"""

# This module is about look-alike characters: its tables and examples are made of them.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import re
import unicodedata

from models.text.bidi import reading_order
from models.text.lookalikes import KEEP_CASE, LOOKALIKES, SCRIPT_LOOKALIKES, unconfuse
from models.text.offsets import Replacement, sub

# ---------------------------------------------------------------------------------------------

# Characters that render as nothing but are not category Cf (those are all removed): combining
# grapheme joiner, Hangul fillers, braille blank, variation selectors.
INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)

_MARKS = frozenset({"Mn", "Me"})
DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})

# Per code point: (replacement, whether it contains a combining mark). Filled lazily; bounded so
# that a flood of distinct code points cannot grow it without limit.
_CHAR_CACHE: dict[str, tuple[str, bool]] = {}
_CHAR_CACHE_MAX = 50_000


def _fold_one(ch: str) -> str:
    """Map one character, already NFKC, to its canonical form (may be empty or several chars)."""
    if ch in INVISIBLE or unicodedata.category(ch) in DROP_CATEGORIES:
        return ""
    if ch.isspace():
        return " "
    if unicodedata.category(ch) == "Cc":
        return ""
    # Look-alikes are checked before lowering because "Η" (H) and "η" (n) differ.
    if ch in LOOKALIKES:
        return LOOKALIKES[ch]
    if ch in KEEP_CASE:
        return ch
    out = []
    for low in ch.lower():
        low = LOOKALIKES.get(low, low)
        if not low.isascii():
            decomposed = unicodedata.normalize("NFD", low)
            # "é" -> "e": accents are a cheap evasion, and the models are trained on English.
            if decomposed[0].isascii() and decomposed[0].isalpha():
                low = decomposed[0]
        out.append(low)
    return "".join(out)


def _map_one(c: str) -> str:
    """One pass of the character mapping: look-alikes first (NFKC would turn the lunate sigma
    "ϲ" into "ς"), then NFKC, then `_fold_one` on each resulting character."""
    if c in LOOKALIKES:
        return LOOKALIKES[c]
    if c in INVISIBLE or unicodedata.category(c) in DROP_CATEGORIES:
        return ""
    return "".join(_fold_one(ch) for ch in unicodedata.normalize("NFKC", c))


def _char_entry(c: str) -> tuple[str, bool]:
    """Canonical form of one original character and whether it holds a combining mark.

    Iterated to a fixed point, so that stage 1 applied to its own output changes nothing.
    """
    entry = _CHAR_CACHE.get(c)
    if entry is not None:
        return entry
    out = _map_one(c)
    for _ in range(4):
        again = "".join(_map_one(ch) for ch in out)
        if again == out:
            break
        out = again
    has_mark = any(unicodedata.category(ch) in _MARKS for ch in out)
    entry = (out, has_mark)
    if len(_CHAR_CACHE) < _CHAR_CACHE_MAX:
        _CHAR_CACHE[c] = entry
    return entry


# Characters after which a combining mark is decoration: printable ASCII (letters, and symbols
# that the leetspeak stage may turn into letters), the euro sign, and Cyrillic and Greek
# look-alikes (which `unconfuse` may turn into Latin letters).
_MARK_BASES = frozenset(chr(c) for c in range(0x21, 0x7F)) | {"€"} | set(SCRIPT_LOOKALIKES)

# Everything but printable ASCII and ordinary whitespace goes through the per-character table.
_SPECIAL = re.compile(r"[^\t\n\r\x20-\x7e]+")
# Whitespace that is not a lone space: collapsed to one space. (Other whitespace characters were
# already mapped to spaces.)
_UNTIDY_SPACE = re.compile(r"[\t\n\r ]{2,}|[\t\n\r]")


def _map_chars(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Lowercase printable ASCII in bulk and map every other character through `_char_entry`."""
    if text.isascii() and (text.isprintable() or not _SPECIAL.search(text)):
        return text.lower(), (list(range(len(text))) if track else None)
    parts: list[str] = []
    offsets: list[int] | None = [] if track else None
    last = ""  # last character emitted, for the combining-mark rule
    pos = 0
    cache_get = _CHAR_CACHE.get
    for m in _SPECIAL.finditer(text):
        start, end = m.span()
        if start > pos:
            parts.append(text[pos:start].lower())
            if offsets is not None:
                offsets.extend(range(pos, start))
            last = text[start - 1].lower()
        for i in range(start, end):
            c = text[i]
            mapped, has_mark = cache_get(c) or _char_entry(c)
            if not has_mark:
                if mapped:
                    parts.append(mapped)
                    if offsets is not None:
                        offsets.extend([i] * len(mapped))
                    last = mapped[-1]
                continue
            for ch in mapped:
                if last in _MARK_BASES and unicodedata.category(ch) in _MARKS:
                    # Combining marks on Latin letters ("f̸u̷c̶k", a decomposed "fück") are decoration.
                    continue
                parts.append(ch)
                if offsets is not None:
                    offsets.append(i)
                last = ch
        pos = end
    parts.append(text[pos:].lower())
    if offsets is not None:
        offsets.extend(range(pos, len(text)))
    return "".join(parts), offsets


def _tidy_space(m: re.Match[str]) -> Replacement:
    """Any whitespace run becomes one space, pointing at the run's first character."""
    return " ", [0]


def chars(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Stage 1: characters mapped one by one, whitespace collapsed and stripped.

    Bidirectional controls are resolved first (:mod:`models.text.bidi`): text an override shows
    backwards is put in the order a reader sees, and offsets still point at the stored characters.
    """
    shown, order = reading_order(text)
    s, offsets = _map_chars(shown, track)
    if order is not None and offsets is not None:
        offsets = [order[i] for i in offsets]
    s = unconfuse(s)
    if "  " in s or "\n" in s or "\t" in s or "\r" in s:
        s, offsets = sub(_UNTIDY_SPACE, _tidy_space, s, offsets)
    start = 1 if s.startswith(" ") else 0
    end = len(s) - 1 if s.endswith(" ") and len(s) > start else len(s)
    if start == 0 and end == len(s):
        return s, offsets
    return s[start:end], (offsets[start:end] if offsets is not None else None)
