"""Stage 4 of normalization: leetspeak inside words ("h4te", "sh!t") and stretched letters.

Numbers, prices, dimensions, @handles, links and e-mail addresses are left as written.
"""

from __future__ import annotations

import re

from models.text.alphabet import ASCII_LETTERS, TOKEN_CHARS, TOKEN_SET
from models.text.offsets import apply_edits
from models.text.protected import Protection

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "€": "e", "!": "i"}
_DIGITS = frozenset("0123456789")

_LEET_CHAR = re.compile(r"[0134579@$!€]")
_TOKEN_REST = re.compile(rf"[{TOKEN_CHARS}]*")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_MONEY_IN_WORD = re.compile(r"[$€]\d+(?:k|m|bn|b)?$|^\d+[$€]")  # "us$20", "$5k", "20$"
_DIMENSION = re.compile(r"\d+x\d+")  # "4x4", "1920x1080"


def _squeeze(text: str, rel: list[int]) -> tuple[str, list[int]]:
    """Keep at most two of any repeated letter, with the offsets of the ones kept."""
    if not _STRETCH.search(text):
        return text, rel
    out: list[str] = []
    out_rel: list[int] = []
    for ch, r in zip(text, rel, strict=True):
        if len(out) >= 2 and out[-1] == ch and out[-2] == ch and ch.isalpha():
            continue
        out.append(ch)
        out_rel.append(r)
    return "".join(out), out_rel


def _symbol_positions(word: str) -> set[int]:
    """Indexes of the symbols in `word` that stand for letters ("a$$", "b@stard", "sh!t").

    A run of three or more of the same symbol is decoration ("$$$money", "wow!!!"); "!" must have
    something before it and a word character after its run ("sh!t", "b!!tch", not "wow!").
    """
    positions: set[int] = set()
    n = len(word)
    k = 0
    while k < n:
        ch = word[k]
        if ch not in _LEET_SYMBOLS:
            k += 1
            continue
        j = k
        while j < n and word[j] == ch:
            j += 1
        if j - k <= 2 and (ch != "!" or (k > 0 and j < n)):
            positions.update(range(k, j))
        k = j
    return positions


def _leet_positions(word: str) -> list[int]:
    """Indexes of the characters of `word` (a run of letters, digits and @$!€) that are leetspeak.

    A block of digits is leet when letters (or symbols read as letters) are on both sides of it
    ("h4te", "n00b"); a block at the start or end of the word ("2nd", "1990s", "mp3", "covid19",
    "win10") only when the word also has such an inner block ("1d10t", "5h1t"), and a block with no
    letter beside it ("accounts!!!1111") never. Money ("us$20", "$5k") is never leet.
    """
    if _MONEY_IN_WORD.search(word):
        return []
    symbols = _symbol_positions(word)
    n = len(word)

    def letter_at(k: int) -> bool:
        return 0 <= k < n and (word[k] in ASCII_LETTERS or k in symbols)

    inner: list[tuple[int, int]] = []
    edge: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if word[i] not in _DIGITS:
            i += 1
            continue
        j = i
        while j < n and word[j] in _DIGITS:
            j += 1
        before, after = letter_at(i - 1), letter_at(j)
        if before and after:
            inner.append((i, j))
        elif (before and j == n) or (after and i == 0):
            edge.append((i, j))
        i = j
    positions = set(symbols)
    for i, j in inner + (edge if inner else []):
        positions.update(k for k in range(i, j) if word[k] in _LEET)
    return sorted(positions)


def _leet_edit(
    s: str, start: int, end: int, protection: Protection
) -> tuple[int, int, str, list[int]] | None:
    """The rewrite of the token s[start:end] (leet mapped, stretches squeezed), or None."""
    word = s[start:end]
    if word.isdigit() or not any(ch in ASCII_LETTERS for ch in word):
        return None  # a number, a price, "!!!"
    if word[0] == "@" and (start == 0 or not s[start - 1].isalnum()):
        return None  # an @handle
    if _DIMENSION.fullmatch(word):
        return None
    positions = _leet_positions(word)
    if not positions and not _STRETCH.search(word):
        return None  # "2nd", "mp3", "hello!": nothing to change, no need to look for links
    if protection.overlaps(start, end):
        return None
    chars = list(word)
    for k in positions:
        chars[k] = _LEET.get(word[k]) or _LEET_SYMBOLS[word[k]]
    text, rel = _squeeze("".join(chars), list(range(len(word))))
    if text == word:
        return None
    return start, end, text, rel


def leet_and_stretch(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 4: map leetspeak in words that contain it and squeeze stretched letters elsewhere."""
    edits: list[tuple[int, int, str, list[int]]] = []
    scanned: list[tuple[int, int]] = []
    protection = Protection(s)
    for m in _LEET_CHAR.finditer(s):
        pos = m.start()
        if scanned and pos < scanned[-1][1]:
            continue  # already part of the previous token
        start = pos
        while start > 0 and s[start - 1] in TOKEN_SET:
            start -= 1
        end = _TOKEN_REST.match(s, pos).end()  # type: ignore[union-attr]  # always matches
        scanned.append((start, end))
        edit = _leet_edit(s, start, end, protection)
        if edit is not None:
            edits.append(edit)
    stretch_edits = []
    k = 0  # index into `scanned`, which is sorted like the stretches
    for m in _STRETCH.finditer(s):
        start, end = m.span()
        while k < len(scanned) and scanned[k][1] <= start:
            k += 1
        if (k < len(scanned) and scanned[k][0] <= start) or protection.overlaps(start, end):
            continue  # tokens with leet were squeezed whole; links keep their spelling
        stretch_edits.append((start, end, m.group()[:2], [0, 1]))
    if stretch_edits:
        edits = sorted(edits + stretch_edits)
    return apply_edits(s, offsets, edits)
