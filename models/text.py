"""Normalization of comment text against evasion, for the spam and toxicity classifiers.

People who want a comment past a filter write "іdіоt" with Cyrillic letters, "ｉｄｉｏｔ" in
full-width, "id\u200biot" with a zero-width space, "1d10t", "i d i o t", "i.d.i.o.t",
"stuuuupid" or "example dot com". `normalize` folds all of these to one canonical form so the
models see the word they were trained on, while keeping what the spam model needs intact: numbers,
prices, phone numbers, URLs, e-mail addresses and @handles.

`normalize_with_offsets` returns, for every character of that canonical form, the index of the
original character it came from, so explanations computed on normalized text can be shown on the
text the user wrote (`to_original_span`).

The pipeline, in order (each stage sees the output of the previous one):

1. characters: NFKC, lowercase, invisible and control characters removed, look-alike letters
   (small capitals, enclosed letters, Cherokee...) mapped to Latin, diacritics on Latin letters
   and combining marks ("Zalgo") after them dropped, whitespace collapsed to one space.
   Cyrillic and Greek look-alikes are mapped everywhere in a text that has no genuine Cyrillic
   or Greek letter, and otherwise only inside words that mix scripts, so Russian and Greek
   comments are not garbled;
2. spaced letters joined: runs of >= 3 single characters with the same separator ("f u c k",
   "i.d.i.o.t", "s-h-i-t");
3. obfuscated links restored: "example dot com", "example[.]com", "example . com", "hxxp://",
   "name[at]example.com";
4. leetspeak inside words mapped to letters ("h4te", "sh!t", "b@stard"), stretched letters
   squeezed to two ("stuuuupid" -> "stuupid"); URLs, e-mails, handles, money and phone numbers
   are left untouched; then stage 3 once more, for links that leetspeak hid ("example d0t c0m").

Every stage is a pure function of its input, and `normalize` and `normalize_with_offsets` run the
same code (offsets are only carried when asked for), so the two always return the same text.
`normalize` is idempotent, and runs in time linear in the length of the text (patterns that
could backtrack are bounded or anchored on cheap markers).
"""

# This module is about look-alike characters: its tables and examples are made of them.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable

__all__ = ["normalize", "normalize_with_offsets", "to_original_span"]

# A replacement: the new text and, for each of its characters, the index within the match it came
# from. `None` leaves the match unchanged.
_Replacement = tuple[str, list[int]] | None

# ---------------------------------------------------------------------------------------------
# Stage 1: characters
# ---------------------------------------------------------------------------------------------

# Characters that render as nothing but are not category Cf (those are all removed): combining
# grapheme joiner, Hangul fillers, braille blank, variation selectors.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)

# Look-alikes of Latin letters that NFKC leaves alone. Upper-case forms are listed when they look
# like a different Latin letter than their lower case (Greek "Η" is H, "η" is n).
_LOOKALIKES: dict[str, str] = {
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
        _LOOKALIKES.setdefault(chr(_base + _i), chr(ord("a") + _i))

# Cyrillic and Greek look-alikes, mapped by `_unconfuse` depending on the text (see there). Keys
# are lower case, except Greek capitals that look like a different Latin letter than their lower
# case ("Η" is H, "η" is n): stage 1 keeps those upper case so that the difference survives.
_SCRIPT_LOOKALIKES: dict[str, str] = {
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
_KEEP_CASE = frozenset(k for k in _SCRIPT_LOOKALIKES if k.isupper())
_KEEP_CASE_LOWER = str.maketrans({k: k.lower() for k in _KEEP_CASE})
_SCRIPT_TABLE = str.maketrans(_SCRIPT_LOOKALIKES)
_SCRIPT_CLASS = "".join(sorted(_SCRIPT_LOOKALIKES))
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
        and chr(c).lower() not in _SCRIPT_LOOKALIKES
        and chr(c) not in _SCRIPT_LOOKALIKES
        and chr(c) not in _LOOKALIKES
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
    return _SCRIPT_LOOKALIKES[m.group()]


def _unconfuse_word(m: re.Match[str]) -> str:
    """Map a word's look-alikes when it mixes scripts ("іdіоt", "ѕιτe"); else only lowercase it."""
    word = m.group()
    mixed = any(ch in _ASCII_LETTERS for ch in word) or (
        any(_is_cyrillic(ch) for ch in word) and any(_is_greek(ch) for ch in word)
    )
    return word.translate(_SCRIPT_TABLE if mixed else _KEEP_CASE_LOWER)


def _unconfuse(s: str) -> str:
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


_MARKS = frozenset({"Mn", "Me"})
_DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})

# Per code point: (replacement, whether it contains a combining mark). Filled lazily; bounded so
# that a flood of distinct code points cannot grow it without limit.
_CHAR_CACHE: dict[str, tuple[str, bool]] = {}
_CHAR_CACHE_MAX = 50_000


def _fold_one(ch: str) -> str:
    """Map one character, already NFKC, to its canonical form (may be empty or several chars)."""
    if ch in _INVISIBLE or unicodedata.category(ch) in _DROP_CATEGORIES:
        return ""
    if ch.isspace():
        return " "
    if unicodedata.category(ch) == "Cc":
        return ""
    # Look-alikes are checked before lowering because "Η" (H) and "η" (n) differ.
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    if ch in _KEEP_CASE:
        return ch
    out = []
    for low in ch.lower():
        low = _LOOKALIKES.get(low, low)
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
    if c in _LOOKALIKES:
        return _LOOKALIKES[c]
    if c in _INVISIBLE or unicodedata.category(c) in _DROP_CATEGORIES:
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


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Characters after which a combining mark is decoration: printable ASCII (letters, and symbols
# that the leetspeak stage may turn into letters), the euro sign, and Cyrillic and Greek
# look-alikes (which `_unconfuse` may turn into Latin letters).
_MARK_BASES = frozenset(chr(c) for c in range(0x21, 0x7F)) | {"€"} | set(_SCRIPT_LOOKALIKES)

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


def _tidy_space(m: re.Match[str]) -> _Replacement:
    """Any whitespace run becomes one space, pointing at the run's first character."""
    return " ", [0]


def _chars(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Stage 1: characters mapped one by one, whitespace collapsed and stripped."""
    s, offsets = _map_chars(text, track)
    s = _unconfuse(s)
    if "  " in s or "\n" in s or "\t" in s or "\r" in s:
        s, offsets = _sub(_UNTIDY_SPACE, _tidy_space, s, offsets)
    start = 1 if s.startswith(" ") else 0
    end = len(s) - 1 if s.endswith(" ") and len(s) > start else len(s)
    if start == 0 and end == len(s):
        return s, offsets
    return s[start:end], (offsets[start:end] if offsets is not None else None)


# ---------------------------------------------------------------------------------------------
# Substitution that carries offsets
# ---------------------------------------------------------------------------------------------


def _apply(
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


def _sub(
    pattern: re.Pattern[str],
    fn: Callable[[re.Match[str]], _Replacement],
    s: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """Like `pattern.sub(fn, s)`, carrying offsets; `fn` returns (text, rel) or None to keep."""
    edits = []
    for m in pattern.finditer(s):
        r = fn(m)
        if r is not None:
            edits.append((m.start(), m.end(), r[0], r[1]))
    return _apply(s, offsets, edits)


# ---------------------------------------------------------------------------------------------
# Patterns shared by stages 2-4
# ---------------------------------------------------------------------------------------------

# Top-level domains accepted after "dot" or after a bracketed dot. English words that are also TLDs
# ("me", "us", "in", "to", "live"...) are left out: "connect the dot to" must stay prose.
_TLDS_WORDY = (
    "com|net|org|info|biz|io|co|uk|de|ru|cn|fr|nl|eu|ca|au|jp|br|es|pl|ch|se|xyz|tk|ml|ga|cf|gq|"
    "pw|cc|ws|ly|gl|tv|gov|edu|online|site|shop|club|top|app|dev|ai|gg|su|ua|kz|by|vn|in|icu|buzz"
)
# Bare domains ("example.com") are recognised with a wider list, since the dot is already there.
_TLDS_BARE = _TLDS_WORDY + "|me|us|to|be|it|live|link|click|win|vip|store|tech|cloud|page|blog|news"
_TLDS_STRONG = (  # accepted after " ." (space before the dot): never sentence punctuation
    "com|net|org|info|biz|io|ru|cn|xyz|uk|de|online|site|shop|club|top|ly|gl|tk"
)

_URL = (
    r"(?:https?|ftp)://[^\s<>\"']+"
    r"|(?<![\w.@-])www\.[^\s<>\"']+"
    rf"|(?<![\w.@-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS_BARE})\b(?:[/?#][^\s<>\"']*)?"
)
_EMAIL = r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+"

# Characters that can stand for a letter in an evasive word (digits and a few symbols).
_TOKEN_CHARS = "a-z0-9@$!€"
_TOKEN_SET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!€")

# ---------------------------------------------------------------------------------------------
# Stage 2: spaced-out letters
# ---------------------------------------------------------------------------------------------

# A piece of a spaced-out word: one character, not followed by another letter or digit.
_PIECE = rf"[{_TOKEN_CHARS}](?![^\W_]|[@$€])"
# >= 3 pieces separated by one repeated separator. Each piece being a single character, "I am a
# cat" (single letters between words) is left alone.
_JOIN = re.compile(
    # Not from the middle of a longer run ("a.a.a.a@x"): that would rescan it from every piece.
    rf"(?<![\w@$€])(?<![a-z0-9@$€][._*·\-]){_PIECE}"
    r"(?P<sep> (?:[._*·\-] )?|[._*·\-] ?)"
    rf"{_PIECE}(?:(?P=sep){_PIECE})+"
    # Not when the run goes on with another separator: in "it's a m-u-s-i-c" the word is "music",
    # not "sam"; backtracking then finds no run at "s" and the scan moves on to "m".
    r"(?![._*·\-][a-z0-9@$€])"
)

# The last two pieces of any such run; much cheaper to search for than the run itself.
_JOIN_HINT = re.compile(
    rf"[ ._*·\-][{_TOKEN_CHARS}](?: (?:[._*·\-] )?|[._*·\-] ?)[{_TOKEN_CHARS}](?![\w@$€])"
)


def _join_repl(m: re.Match[str]) -> _Replacement:
    """Glue the single characters of a spaced-out word; needs at least one letter."""
    if _Protection(m.string).overlaps(m.start(), m.end()):
        return None  # "http://example.com/a-b-c", "j.o.h.n@example.com"
    run = m.group()
    rel = list(range(0, len(run), len(m.group("sep")) + 1))
    while rel and run[rel[-1]] == "!":
        rel.pop()  # "c o m !" ends with an exclamation mark, not with a letter
    if len(rel) < 3:
        return None
    text = "".join(run[k] for k in rel)
    if not any(ch in _ASCII_LETTERS for ch in text):
        return None  # "1 2 3" is a list of numbers, not a word
    tail = range(rel[-1] + 1, len(run))
    return text + run[tail.start :], rel + list(tail)


# ---------------------------------------------------------------------------------------------
# Stage 3: obfuscated links
# ---------------------------------------------------------------------------------------------

_HXXP = re.compile(r"h(?:xx|\*\*|tt)p(s?)\s*(?:\[:\]|\(:\)|:)\s*(?:\[/\]|/){2}")
# Bounded, like real domain names, so that a failed match costs O(1) and not O(text).
_LABEL = r"[a-z0-9][a-z0-9-]{0,62}"
_SEP_PLAIN = r"\.(?!\s)"
_SEP_BRACKET = r"\s*[\[({<]\s*(?:\.|d[o0]t)\s*[\])}>]\s*"  # "[.]", "(dot)", " [ . ] "
_SEP_WORD = r"\s+d[o0]t\s+"  # " dot "
_SEP_SPACED = r"\s+\.\s*"  # " . ", " .": a space before the dot is never sentence punctuation
_ANY_SEP = re.compile(rf"{_SEP_PLAIN}|{_SEP_BRACKET}|{_SEP_WORD}|{_SEP_SPACED}")
# A domain written with at least one obfuscated dot. The top-level domain accepted depends on the
# last separator: any common one after "[.]", no English word after " dot " or " . ".
_OBFUSCATED_DOMAIN = re.compile(
    rf"(?<![\w.]){_LABEL}(?:(?:{_SEP_PLAIN}|{_SEP_BRACKET}|{_SEP_WORD}|{_SEP_SPACED}){_LABEL}){{0,8}}"
    rf"(?:(?:{_SEP_BRACKET}|{_SEP_PLAIN})(?:{_TLDS_BARE})|{_SEP_WORD}(?:{_TLDS_WORDY})"
    rf"|{_SEP_SPACED}(?:{_TLDS_STRONG}))\b"
)
# "name[at]example.com", once the domain is restored: only where the result is an address.
_OBFUSCATED_AT = re.compile(
    r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]{0,63}(?P<at>\s*[\[({<]\s*(?:@|at)\s*[\])}>]\s*)"
    r"(?=[a-z0-9-]+(?:\.[a-z0-9-]+)+)"
)
# Words before "dot com" that show it is prose ("the dot com bubble").
_PROSE_BEFORE_DOT = frozenset({"the", "a", "an", "this", "that", "one", "each", "every", "no"})


def _hxxp_repl(m: re.Match[str]) -> _Replacement:
    """Re-arm a defanged scheme ("hxxp[:]//") as "http://"."""
    s = m.group(1)
    text = "http" + s + "://"
    rel = [0, 1, 2, 3] + ([4] if s else [])
    colon = m.group().index(":")
    slash = m.group().index("/")
    return text, [*rel, colon, slash, m.group().rindex("/")]


def _domain_repl(m: re.Match[str]) -> _Replacement:
    """Turn every separator of an obfuscated domain into '.', pointing at the original dot/"d"."""
    run = m.group()
    seps = list(_ANY_SEP.finditer(run))
    if all(d.group() == "." for d in seps):
        return None  # nothing was obfuscated
    first = seps[0]
    if run[: first.start()] in _PROSE_BEFORE_DOT and "d" in first.group():
        return None  # "the dot com bubble"
    parts: list[str] = []
    rel: list[int] = []
    pos = 0
    for d in seps:
        parts.append(run[pos : d.start()])
        rel.extend(range(pos, d.start()))
        parts.append(".")
        # The "." or the "d" of "dot" inside the separator.
        rel.append(d.start() + min(i for i in (d.group().find("."), d.group().find("d")) if i >= 0))
        pos = d.end()
    parts.append(run[pos:])
    rel.extend(range(pos, len(run)))
    return "".join(parts), rel


def _at_repl(m: re.Match[str]) -> _Replacement:
    """Turn the "[at]" of an obfuscated e-mail address into '@'."""
    at = m.group("at")
    start = m.start("at") - m.start()
    return m.group()[:start] + "@", [*range(start), start + len(at) - len(at.lstrip())]


def _anchored_sub(
    finder: re.Pattern[str],
    pattern: re.Pattern[str],
    left_chars: frozenset[str],
    fn: Callable[[re.Match[str]], _Replacement],
    s: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """`_sub` for patterns that are slow to scan for but contain a cheap `finder` marker.

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
    return _apply(s, offsets, edits)


_DOMAIN_MARKER = re.compile(r"[\[({<]\s*(?:\.|d[o0]t)\s*[\])}>]| d[o0]t | \.")
_AT_MARKER = re.compile(r"[\[({<]\s*(?:@|at)\s*[\])}>]")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._%+")


def _restore_links(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 3: undo link obfuscation; each pattern is only run when its cheap marker is present."""
    if "p" in s and ("xx" in s or "**" in s or "[:]" in s or "(:)" in s or "[/]" in s):
        s, offsets = _sub(_HXXP, _hxxp_repl, s, offsets)
    bracket = "[" in s or "(" in s or "{" in s or "<" in s
    if bracket or " dot " in s or " d0t " in s or " ." in s:
        s, offsets = _anchored_sub(
            _DOMAIN_MARKER, _OBFUSCATED_DOMAIN, _LABEL_CHARS, _domain_repl, s, offsets
        )
    if bracket and ("at" in s or "@" in s):
        s, offsets = _anchored_sub(_AT_MARKER, _OBFUSCATED_AT, _LOCAL_CHARS, _at_repl, s, offsets)
    return s, offsets


# ---------------------------------------------------------------------------------------------
# Stage 4: leetspeak and stretched letters
# ---------------------------------------------------------------------------------------------

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "€": "e", "!": "i"}
_DIGITS = frozenset("0123456789")

_LEET_CHAR = re.compile(r"[0134579@$!€]")
_TOKEN_REST = re.compile(rf"[{_TOKEN_CHARS}]*")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_PROTECTED = re.compile(rf"{_URL}|{_EMAIL}")
_URL_END = re.compile(r"[<>\"']")
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
        return 0 <= k < n and (word[k] in _ASCII_LETTERS or k in symbols)

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


class _Protection:
    """The URLs and e-mail addresses of a text, found once per whitespace-delimited chunk.

    Only chunks with a "." or ":" are searched, so ordinary words cost a `find` or two.
    """

    __slots__ = ("_chunks", "_s")

    def __init__(self, s: str) -> None:
        self._s = s
        # chunk start -> (starts, ends) of its protected spans, merged and sorted
        self._chunks: dict[int, tuple[list[int], list[int]]] = {}

    def _chunk_spans(self, pos: int) -> tuple[list[int], list[int]]:
        """Protected spans, in text coordinates, of the chunk around `pos`."""
        s = self._s
        chunk_start = s.rfind(" ", 0, pos) + 1
        found = self._chunks.get(chunk_start)
        if found is not None:
            return found
        chunk_end = s.find(" ", pos)
        chunk = s[chunk_start : chunk_end if chunk_end >= 0 else len(s)]
        spans: list[tuple[int, int]] = []
        if "." in chunk or ":" in chunk:
            # A URL with a scheme or "www." runs to the end of the chunk, a quote or a bracket.
            for marker in ("://", "www."):
                at = chunk.find(marker)
                if at >= 0:
                    url_end = _URL_END.search(chunk, at)
                    spans.append((max(0, at - 5), url_end.start() if url_end else len(chunk)))
            spans.extend(m.span() for m in _PROTECTED.finditer(chunk))
        starts: list[int] = []
        ends: list[int] = []
        for a, b in sorted(spans):
            a, b = chunk_start + a, chunk_start + b
            if ends and a <= ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        self._chunks[chunk_start] = (starts, ends)
        return starts, ends

    def overlaps(self, start: int, end: int) -> bool:
        """True when s[start:end] overlaps a URL or an e-mail address."""
        for pos in {start, end - 1}:
            starts, ends = self._chunk_spans(pos)
            k = bisect.bisect_left(starts, end) - 1  # the last span starting before `end`
            if k >= 0 and ends[k] > start:
                return True
        return False


def _leet_edit(
    s: str, start: int, end: int, protection: _Protection
) -> tuple[int, int, str, list[int]] | None:
    """The rewrite of the token s[start:end] (leet mapped, stretches squeezed), or None."""
    word = s[start:end]
    if word.isdigit() or not any(ch in _ASCII_LETTERS for ch in word):
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


def _leet_and_stretch(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 4: map leetspeak in words that contain it and squeeze stretched letters elsewhere."""
    edits: list[tuple[int, int, str, list[int]]] = []
    scanned: list[tuple[int, int]] = []
    protection = _Protection(s)
    for m in _LEET_CHAR.finditer(s):
        pos = m.start()
        if scanned and pos < scanned[-1][1]:
            continue  # already part of the previous token
        start = pos
        while start > 0 and s[start - 1] in _TOKEN_SET:
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
    return _apply(s, offsets, edits)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _pipeline(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Run all stages; carry offsets only when `track` is true."""
    s, offsets = _chars(text, track)
    if _JOIN_HINT.search(s):
        s, offsets = _sub(_JOIN, _join_repl, s, offsets)
    s, offsets = _restore_links(s, offsets)
    mapped, offsets = _leet_and_stretch(s, offsets)
    if mapped != s:
        # Leetspeak can complete a link ("example d0t c0m"); links only turn separators into
        # dots, so one more pass leaves nothing for a second normalize() to change.
        mapped, offsets = _restore_links(mapped, offsets)
    return mapped, offsets


def normalize(text: str) -> str:
    """Canonical form of a comment for the classifiers.

    Lowercase, NFKC, invisible characters removed, look-alike letters mapped to Latin, leetspeak
    inside words mapped to letters, spaced-out letters joined, stretched letters squeezed to two,
    obfuscated links restored. Numbers, prices, phone numbers, URLs, e-mails and @handles are kept.
    """
    return _pipeline(text, track=False)[0]


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize(text)` and, for each of its characters, the index in `text` it came from.

    Offsets are non-decreasing. Characters that replace several original ones (the "." of
    "example dot com", a joined "f u c k") point at the original character they stand for.
    """
    s, offsets = _pipeline(text, track=True)
    assert offsets is not None
    return s, offsets


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
    an empty span maps to an empty span at its position.
    """
    n = len(offsets)
    start = max(0, min(start, n))
    end = max(start, min(end, n))
    if start == end:
        pos = offsets[start] if start < n else len(original)
        return pos, pos
    orig_start = offsets[start]
    orig_end = offsets[end - 1] + 1
    while orig_end < len(original):
        ch = original[orig_end]
        if ch == _ZWJ and orig_end + 1 < len(original):
            orig_end += 2
        elif _extends_grapheme(ch):
            orig_end += 1
        else:
            break
    return orig_start, orig_end
