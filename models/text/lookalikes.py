"""Look-alike letters: the tables that map them to Latin, and Cyrillic/Greek handling by context.

:data:`LOOKALIKES` is applied to every character (stage 1 of normalization, in
:mod:`models.text.unicode`); :data:`SCRIPT_LOOKALIKES` only by :func:`unconfuse`, which looks at
the whole text so that genuine Russian or Greek is not garbled.
"""

# This module is about look-alike characters: its tables and examples are made of them.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
import unicodedata

from models.text.alphabet import ASCII_LETTERS

# Look-alikes of Latin letters that NFKC leaves alone. Upper-case forms are listed when they look
# like a different Latin letter than their lower case (Greek "Η" is H, "η" is n).
LOOKALIKES: dict[str, str] = {
    # Greek lunate sigma and yot: not used in modern Greek text
    "ϲ": "c", "Ϲ": "c", "ϳ": "j",
    # Latin small capitals and IPA letters
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɩ": "i",
    "ɛ": "e", "ɔ": "c", "ʋ": "u",
    # Latin letters without a canonical decomposition
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƒ": "f", "ß": "ss", "æ": "ae",
    "œ": "oe", "ð": "d", "ɨ": "i", "ƶ": "z", "ȼ": "c", "ɇ": "e", "ɉ": "j", "ɍ": "r", "ɏ": "y",
    # Cherokee and other scripts with Latin-looking capitals
    "Ꭺ": "a", "Ᏼ": "b", "Ꮯ": "c", "Ꭼ": "e", "Ꮐ": "g", "Ꮋ": "h", "Ꭵ": "i", "Ꮶ": "k", "Ꮮ": "l",
    "Ꮇ": "m", "Ꮲ": "p", "Ꮪ": "s", "Ꭲ": "t", "Ꮩ": "v", "Ꮃ": "w", "Ꮓ": "z",
}  # fmt: skip

# Enclosed and regional-indicator letters (🅰, 🅐, 🇦) have no NFKC decomposition.
for _base in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6):
    for _i in range(26):
        LOOKALIKES.setdefault(chr(_base + _i), chr(ord("a") + _i))

# Cyrillic and Greek look-alikes, mapped by `unconfuse` depending on the text (see there). Keys
# are lower case, except Greek capitals that look like a different Latin letter than their lower
# case ("Η" is H, "η" is n): stage 1 keeps those upper case so that the difference survives.
SCRIPT_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "ѕ": "s",
    "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l",
    "ѵ": "v", "ѡ": "w", "ԍ": "g", "ӧ": "o", "ӓ": "a", "ӱ": "y",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u", "ά": "a", "έ": "e", "ή": "n",
    "ί": "i", "ό": "o", "ύ": "u", "ώ": "w", "ϊ": "i", "ϋ": "u",
    "Η": "h", "Μ": "m", "Ν": "n", "Υ": "y", "Ζ": "z",
}  # fmt: skip
KEEP_CASE = frozenset(k for k in SCRIPT_LOOKALIKES if k.isupper())
_KEEP_CASE_LOWER = str.maketrans({k: k.lower() for k in KEEP_CASE})
_SCRIPT_TABLE = str.maketrans(SCRIPT_LOOKALIKES)
_SCRIPT_CLASS = "".join(sorted(SCRIPT_LOOKALIKES))
_SCRIPT_CHAR = re.compile(f"[{_SCRIPT_CLASS}]")
# A word holding a Cyrillic or Greek look-alike. Digits and leet symbols are part of it: they may
# become Latin letters later ("и€n1d"), and the word must be judged the same way then.
_SCRIPT_WORD = re.compile(rf"(?:[^\W_]|[@$€!])*[{_SCRIPT_CLASS}](?:[^\W_]|[@$€!])*")
# Cyrillic and Greek letters that look like no Latin letter ("и", "д", "λ"): real Russian or Greek.
_GENUINE_LETTER = re.compile(
    "["
    + "".join(
        chr(c)
        for c in [*range(0x370, 0x400), *range(0x400, 0x530), *range(0x1F00, 0x2000)]
        if unicodedata.category(chr(c)).startswith("L")
        and chr(c).lower() not in SCRIPT_LOOKALIKES
        and chr(c) not in SCRIPT_LOOKALIKES
        and chr(c) not in LOOKALIKES
    )
    + "]"
)


def _is_cyrillic(ch: str) -> bool:
    """True for a character of the Cyrillic blocks."""
    return "\u0400" <= ch < "\u0530"


def _is_greek(ch: str) -> bool:
    """True for a character of the Greek blocks."""
    return "\u0370" <= ch < "\u0400" or "\u1f00" <= ch < "\u2000"


def _script_char(m: re.Match[str]) -> str:
    """The Latin letter for a matched Cyrillic or Greek look-alike."""
    return SCRIPT_LOOKALIKES[m.group()]


def _unconfuse_word(m: re.Match[str]) -> str:
    """Map a word's look-alikes when it mixes scripts ("іdіоt", "ѕιτe"); else only lowercase it."""
    word = m.group()
    mixed = any(ch in ASCII_LETTERS for ch in word) or (
        any(_is_cyrillic(ch) for ch in word) and any(_is_greek(ch) for ch in word)
    )
    return word.translate(_SCRIPT_TABLE if mixed else _KEEP_CASE_LOWER)


def unconfuse(s: str) -> str:
    """Map Cyrillic and Greek look-alikes to Latin, without garbling Russian or Greek.

    In a text with no genuine Cyrillic or Greek letter (English with "іdіоt" in it) every
    look-alike is mapped. Where there are some ("привет, как дела"), only words that mix scripts
    are, so "как" stays Russian while "hеllo" with a Cyrillic "е" becomes "hello". Every mapping
    is one character to one, so offsets do not change.
    """
    if s.isascii() or not _SCRIPT_CHAR.search(s):
        return s
    if not _GENUINE_LETTER.search(s):
        # A substitution per look-alike: much faster than str.translate over the whole text.
        return _SCRIPT_CHAR.sub(_script_char, s)
    return _SCRIPT_WORD.sub(_unconfuse_word, s)
