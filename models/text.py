"""Normalization of comment text against evasion, for the spam and toxicity classifiers.

People who want a comment past a filter write "іdіоt" with Cyrillic letters, "ｉｄｉｏｔ" in
full-width, "id\u200biot" with a zero-width space, "1d10t", "i d i o t", "i.d.i.o.t", "stuuuupid" or
"example dot com". `normalize` folds all of these to one canonical form so the models see the word
they were trained on, while keeping what the spam model needs intact: numbers, prices, phone numbers,
URLs, e-mail addresses and @handles.

`normalize_with_offsets` returns, for every character of that canonical form, the index of the
original character it came from, so explanations computed on normalized text can be shown on the
text the user wrote (`to_original_span`).

The pipeline, in order (each stage sees the output of the previous one):

1. characters: NFKC, lowercase, invisible and control characters removed, look-alike letters
   (Cyrillic, Greek, small capitals, enclosed letters...) mapped to Latin, diacritics on Latin letters
   and combining marks ("Zalgo") after them dropped, whitespace collapsed to single spaces;
2. spaced letters joined: runs of >= 3 single characters with the same separator ("f u c k",
   "i.d.i.o.t", "s-h-i-t");
3. obfuscated links restored: "example dot com", "example[.]com", "example . com", "hxxp://",
   "name[at]example.com";
4. leetspeak inside words mapped to letters ("h4te", "sh!t", "b@stard"), stretched letters squeezed
   to two ("stuuuupid" -> "stuupid"); URLs, e-mails, handles, money and phone numbers left untouched.

Every stage is a pure function of its input with no state between calls, and stages use the same
code for `normalize` and `normalize_with_offsets` (offsets are only carried when asked for), so the two
always return the same text.
"""

from __future__ import annotations

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

# Look-alikes of Latin letters that NFKC leaves alone. Upper-case forms are listed when they look like
# a different Latin letter than their lower case (Greek "Η" is H, "η" is n).
_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "г": "r", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b", "ѕ": "s",
    "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ү": "y", "ӏ": "l",
    "ɡ": "g", "ѵ": "v", "ѡ": "w", "ԍ": "g", "ӧ": "o", "ӓ": "a", "ӱ": "y",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Ԛ": "q", "Ԝ": "w", "Ү": "y",
    "Ӏ": "l",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u", "ϲ": "c", "ϳ": "j", "ά": "a",
    "έ": "e", "ή": "n", "ί": "i", "ό": "o", "ύ": "u", "ώ": "w", "ϊ": "i", "ϋ": "u",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
    "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ϲ": "c",
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

_MARK_CATEGORIES = frozenset({"Mn", "Me"})
_DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})

# Per code point: (replacement, replacement contains a combining mark). Filled lazily; bounded so that a flood of
# distinct code points cannot grow it without limit.
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


def _char_entry(c: str) -> tuple[str, bool]:
    """Canonical form of one original character, iterated to a fixed point so stage 1 is idempotent."""
    entry = _CHAR_CACHE.get(c)
    if entry is not None:
        return entry
    if c in _INVISIBLE or unicodedata.category(c) in _DROP_CATEGORIES:
        out = ""
    else:
        out = "".join(_fold_one(ch) for ch in unicodedata.normalize("NFKC", c))
        for _ in range(4):
            again = "".join(_fold_one(ch) for ch in unicodedata.normalize("NFKC", out))
            if again == out:
                break
            out = again
    has_mark = any(unicodedata.category(ch) in _MARK_CATEGORIES for ch in out)
    entry = (out, has_mark)
    if len(_CHAR_CACHE) < _CHAR_CACHE_MAX:
        _CHAR_CACHE[c] = entry
    return entry


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_ALNUM = _ASCII_LETTERS | frozenset("0123456789")
_ASCII_WS_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]+")


def _chars_ascii(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Stage 1 for pure-ASCII text: lowercase, controls dropped, whitespace collapsed."""
    s = text.lower()
    offsets = list(range(len(s))) if track else None

    def repl(m: re.Match[str]) -> _Replacement:
        run = m.group()
        if run == " ":
            return None
        if any(ch.isspace() for ch in run):
            first = next(i for i, ch in enumerate(run) if ch.isspace())
            return " ", [first]
        return "", []

    s, offsets = _sub(_ASCII_WS_OR_CONTROL, repl, s, offsets)
    return _strip(s, offsets)


def _chars_unicode(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Stage 1 for text with non-ASCII characters, one code point at a time."""
    out: list[str] = []
    offsets: list[int] | None = [] if track else None
    last = " "  # pretend the text starts after a space, so leading whitespace is dropped
    for i, c in enumerate(text):
        mapped, has_mark = _char_entry(c)
        for ch in mapped:
            if ch == " " and last == " ":
                continue
            if has_mark and last in _ASCII_ALNUM and unicodedata.category(ch) in _MARK_CATEGORIES:
                # Combining marks on Latin letters ("f̸u̷c̶k", a decomposed "fück") are decoration.
                continue
            out.append(ch)
            if offsets is not None:
                offsets.append(i)
            last = ch
    return _strip("".join(out), offsets)


def _strip(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Remove one leading and one trailing space (stage 1 never leaves more than one)."""
    start = 1 if s.startswith(" ") else 0
    end = len(s) - 1 if s.endswith(" ") and len(s) > start else len(s)
    if start == 0 and end == len(s):
        return s, offsets
    return s[start:end], (offsets[start:end] if offsets is not None else None)


# ---------------------------------------------------------------------------------------------
# Substitution that carries offsets
# ---------------------------------------------------------------------------------------------


def _sub(
    pattern: re.Pattern[str],
    fn: Callable[[re.Match[str]], _Replacement],
    s: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """Like `pattern.sub(fn, s)`, and when `offsets` is given, rebuild it for the new text.

    `fn` returns the replacement and, per replacement character, its index within the match, so
    every output character keeps pointing at an original character.
    """
    parts: list[str] = []
    new_offsets: list[int] | None = [] if offsets is not None else None
    pos = 0
    for m in pattern.finditer(s):
        r = fn(m)
        if r is None:
            continue
        text, rel = r
        start, end = m.span()
        parts.append(s[pos:start])
        parts.append(text)
        if new_offsets is not None and offsets is not None:
            new_offsets.extend(offsets[pos:start])
            new_offsets.extend(offsets[start + k] for k in rel)
        pos = end
    if not parts:
        return s, offsets
    parts.append(s[pos:])
    if new_offsets is not None and offsets is not None:
        new_offsets.extend(offsets[pos:])
    return "".join(parts), new_offsets


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
_HANDLE = r"(?<![\w@])@[a-z0-9_]{1,30}(?![\w@])"
_MONEY = (
    r"(?:[$€£¥₹]\s?\d[\d,.]*(?:[kmb]n?)?(?![a-z])"
    r"|\d[\d,.]*\s?[$€£¥₹])"
)
_PHONE = r"(?<![\w+])\+?\(?\d[\d ().-]{5,}\d(?!\w)"
_DIMENSION = r"(?<![\w.])\d+x\d+(?!\w)"

# Characters that can stand for a letter in an evasive word (digits and a few symbols).
_TOKEN_CHARS = "a-z0-9@$!€"

# ---------------------------------------------------------------------------------------------
# Stage 2: spaced-out letters
# ---------------------------------------------------------------------------------------------

# >= 3 single characters separated by one repeated separator. The lookarounds make sure each piece
# is a single character, so "I am a cat" (single letters separated by words) is left alone.
_JOIN = re.compile(
    rf"(?P<keep>(?:https?|ftp)://[^\s<>\"']+|(?<![\w.-])www\.[^\s<>\"']+|{_EMAIL})"
    rf"|(?<![\w@$!€])[{_TOKEN_CHARS}]"
    r"(?P<sep> (?:[._*~·\-] )?|[._*~·\-] ?)"
    rf"(?:[{_TOKEN_CHARS}](?P=sep))+[{_TOKEN_CHARS}](?![\w@$€])"
)


def _join_repl(m: re.Match[str]) -> _Replacement:
    """Glue the single characters of a spaced-out word; needs at least one letter."""
    if m.group("keep"):
        return None
    sep_len = len(m.group("sep"))
    run = m.group()
    rel = list(range(0, len(run), sep_len + 1))
    text = "".join(run[k] for k in rel)
    if not any(ch in _ASCII_LETTERS for ch in text):
        return None  # "1 2 3" is a list of numbers, not a word
    return text, rel


# ---------------------------------------------------------------------------------------------
# Stage 3: obfuscated links
# ---------------------------------------------------------------------------------------------

_HXXP = re.compile(r"\bh(?:xx|\*\*|tt)p(s?)\s*(?:\[:\]|\(:\)|:)\s*(?:\[/\]|/){2}")
_BRACKET_DOT = re.compile(
    r"(?<=[a-z0-9])\s*[\[({<]\s*(?:\.|d[o0]t)\s*[\])}>]\s*(?=[a-z0-9])"
    r"|(?<=[a-z0-9])\s*[\[({<]\s*(?:@|at)\s*[\])}>]\s*(?=[a-z0-9])"
)
_LABELS = r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*"  # "example", "www.example"
_WORD_DOT = re.compile(
    rf"(?<![\w.]){_LABELS}(?:\s+d[o0]t\s+{_LABELS})*\s+d[o0]t\s+(?:{_TLDS_WORDY})\b"
)
_WORD_DOT_SEP = re.compile(r"\s+d[o0]t\s+")
_SPACED_DOT = re.compile(
    rf"(?<![\w.])[a-z0-9][a-z0-9-]*(?:\s*\.\s*[a-z0-9][a-z0-9-]*)*\s+\.\s*(?:{_TLDS_STRONG})\b"
)
_SPACED_DOT_SEP = re.compile(r"\s*\.\s*")
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


def _bracket_repl(m: re.Match[str]) -> _Replacement:
    """'[.]', '(dot)', '[at]' between two name characters become '.' or '@'."""
    inner = m.group().strip(" []{}()<>")
    k = m.group().index(inner[0])
    return ("." if inner in (".", "dot", "d0t") else "@"), [k]


def _separated_repl(sep: re.Pattern[str]) -> Callable[[re.Match[str]], _Replacement]:
    """Build a replacement that turns every `sep` inside a domain-like match into '.'."""

    def repl(m: re.Match[str]) -> _Replacement:
        run = m.group()
        first = run.split(None, 1)[0]
        if first in _PROSE_BEFORE_DOT:
            return None
        parts: list[str] = []
        rel: list[int] = []
        pos = 0
        for d in sep.finditer(run):
            parts.append(run[pos : d.start()])
            rel.extend(range(pos, d.start()))
            parts.append(".")
            rel.append(d.start() + len(d.group()) - len(d.group().lstrip()))
            pos = d.end()
        parts.append(run[pos:])
        rel.extend(range(pos, len(run)))
        return "".join(parts), rel

    return repl


_word_dot_repl = _separated_repl(_WORD_DOT_SEP)
_spaced_dot_repl = _separated_repl(_SPACED_DOT_SEP)


def _restore_links(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 3: undo link obfuscation; each pattern is only run when its cheap marker is present."""
    if "p" in s and ("xx" in s or "**" in s or "[:]" in s or "(:)" in s or "[/]" in s):
        s, offsets = _sub(_HXXP, _hxxp_repl, s, offsets)
    if "[" in s or "(" in s or "{" in s or "<" in s:
        s, offsets = _sub(_BRACKET_DOT, _bracket_repl, s, offsets)
    if " dot " in s or " d0t " in s:
        s, offsets = _sub(_WORD_DOT, _word_dot_repl, s, offsets)
    if " ." in s:
        s, offsets = _sub(_SPACED_DOT, _spaced_dot_repl, s, offsets)
    return s, offsets


# ---------------------------------------------------------------------------------------------
# Stage 4: leetspeak and stretched letters
# ---------------------------------------------------------------------------------------------

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "€": "e", "!": "i"}
_DIGITS = frozenset("0123456789")

_FINAL = re.compile(
    rf"(?P<keep>{_URL}|{_EMAIL}|{_HANDLE}|{_MONEY}|{_PHONE}|{_DIMENSION})"
    rf"|(?P<word>(?<![\w@$!€])[{_TOKEN_CHARS}]*[0134579@$!€][{_TOKEN_CHARS}]*)"
    r"|(?P<stretch>(?P<ch>[^\W\d_])(?P=ch){2,})"
)
_NEEDS_FINAL = re.compile(r"[0-9@$!€]|([^\W\d_])\1\1")
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")


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


def _leet_positions(word: str) -> list[int]:
    """Indexes of the characters of `word` that are leetspeak for a letter.

    Digits count only when the word is not a number with a suffix or a name with a number: a single
    block of digits at the start or end ("2nd", "1990s", "100mg", "mp3", "covid19", "win10") is a real
    number; digits inside letters ("h4te", "1d10t") are leet. Symbols count when no digit touches them
    ("a$$", "$hit", "b@stard", but not "us$20"); "!" only between two word characters ("sh!t", not
    "wow!").
    """
    n = len(word)
    positions: list[int] = []
    digit_blocks = 0
    interior_digits = False
    i = 0
    while i < n:
        if word[i] in _DIGITS:
            j = i
            while j < n and word[j] in _DIGITS:
                j += 1
            digit_blocks += 1
            if i > 0 and j < n:
                interior_digits = True
            i = j
        else:
            i += 1
    map_digits = interior_digits or digit_blocks > 1
    for k, ch in enumerate(word):
        if ch in _LEET:
            if map_digits:
                positions.append(k)
        elif ch in _LEET_SYMBOLS:
            before = word[k - 1] if k > 0 else ""
            after = word[k + 1] if k + 1 < n else ""
            if before in _DIGITS or after in _DIGITS or ch * 3 in word:
                continue  # "us$20" is money, "$$$" is decoration
            if ch == "!" and not (before and word[k + 1 :].lstrip("!")):
                continue  # "wow!" is punctuation; "sh!t" is a letter
            positions.append(k)
    return positions


def _final_repl(m: re.Match[str]) -> _Replacement:
    """Map leetspeak inside a word and squeeze stretched letters; leave protected spans alone."""
    if m.group("keep"):
        return None
    if m.group("stretch"):
        run = m.group()
        return run[:2], [0, 1]
    word = m.group()
    if not any(ch in _ASCII_LETTERS for ch in word):
        return None
    positions = _leet_positions(word)
    chars = list(word)
    for k in positions:
        chars[k] = _LEET.get(word[k]) or _LEET_SYMBOLS[word[k]]
    text, rel = _squeeze("".join(chars), list(range(len(word))))
    if text == word:
        return None
    return text, rel


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _pipeline(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Run all stages; carry offsets only when `track` is true."""
    if text.isascii():
        s, offsets = _chars_ascii(text, track)
    else:
        s, offsets = _chars_unicode(text, track)
    s, offsets = _sub(_JOIN, _join_repl, s, offsets)
    s, offsets = _restore_links(s, offsets)
    if _NEEDS_FINAL.search(s):
        s, offsets = _sub(_FINAL, _final_repl, s, offsets)
    return s, offsets


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
