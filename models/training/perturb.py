"""Evasion perturbations, to measure how robust the classifiers are to people dodging them.

`perturb(text, rng)` rewrites a comment the way evaders do: Cyrillic and Greek look-alikes,
full-width and other "fancy" letters, zero-width characters inside words, leetspeak, spaced-out
("i d i o t") and dotted ("i.d.i.o.t") words, stretched letters, and obfuscated links
("example dot com", "example[.]com", "hxxp://"). It is deterministic for a seeded
`random.Random`, so evaluation numbers can be reproduced.

The evaluation scores each comment and its perturbed copy: a robust model loses almost no AUC.
`models.text.normalize` undoes these perturbations, except that a stretched letter keeps two copies
("stupid" -> "stuuuupid" -> "stuupid").
"""

# This module is about look-alike characters: its tables are made of them.
# ruff: noqa: RUF001

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = ["TECHNIQUES", "perturb", "perturb_word"]

# Look-alikes per Latin letter; every one is undone by models.text.
_HOMOGLYPHS: dict[str, str] = {
    "a": "аα", "c": "сϲ", "d": "ԁ", "e": "еε", "h": "һ", "i": "іι", "j": "ј", "k": "κ", "n": "η",
    "o": "οо", "p": "рρ", "s": "ѕ", "t": "τ", "u": "υ", "v": "ν", "w": "ԝω", "x": "хχ", "y": "у",
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "J": "Ј", "K": "КΚ",
    "M": "МΜ", "N": "Ν", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ", "Y": "ҮΥ", "Z": "Ζ",
}  # fmt: skip

_LEET: dict[str, str] = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7"}

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# Offsets from an ASCII letter to its "fancy" forms: full-width, mathematical bold and sans-serif
# bold (upper, lower), circled letters.
_FANCY_BASES: tuple[tuple[int, int], ...] = (
    (0xFF21, 0xFF41),  # full-width
    (0x1D400, 0x1D41A),  # mathematical bold
    (0x1D5D4, 0x1D5EE),  # mathematical sans-serif bold
    (0x24B6, 0x24D0),  # circled
)

# A URL, e-mail address or @handle (never perturbed, but links are obfuscated), or a word.
_TOKEN = re.compile(
    r"(?P<link>(?:https?://|www\.)[^\s<>\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+"
    r"|(?<![\w.@-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info)\b[^\s<>\"']*)"
    # Words of a link written with spaces ("example . com") are not perturbed: it would break it.
    r"|(?P<word>(?<![\w@$&=%#./:*\\-])(?-i:[A-Za-z]{3,})"
    r"(?![\w@/:*\\-]|\.\w|\s+\.\s*(?:com|net|org)\b))",
    re.IGNORECASE,
)
_PLAIN_HOST = re.compile(r"(?:www\.)?[a-z0-9]+", re.IGNORECASE)
_TLDS = frozenset({"com", "net", "org", "info"})
_LINK = re.compile(
    r"^(?P<scheme>https?://)?(?P<host>(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)\.(?P<tld>com|net|org|info)\b",
    re.IGNORECASE,
)


def _homoglyphs(word: str, rng: random.Random) -> str:
    """Swap some letters for Cyrillic or Greek look-alikes (at least one when possible)."""
    candidates = [k for k, ch in enumerate(word) if ch in _HOMOGLYPHS]
    if not candidates:
        return word
    chosen = {k for k in candidates if rng.random() < 0.5} or {rng.choice(candidates)}
    return "".join(rng.choice(_HOMOGLYPHS[ch]) if k in chosen else ch for k, ch in enumerate(word))


def _fancy(word: str, rng: random.Random) -> str:
    """Write the word in full-width, mathematical bold or circled letters."""
    upper, lower = rng.choice(_FANCY_BASES)
    return "".join(
        chr(upper + ord(ch) - 65) if ch.isupper() else chr(lower + ord(ch) - 97) for ch in word
    )


def _zero_width(word: str, rng: random.Random) -> str:
    """Insert one to three zero-width characters between letters."""
    chars = list(word)
    for _ in range(rng.randint(1, 3)):
        chars.insert(rng.randint(1, len(chars) - 1), rng.choice(_ZERO_WIDTH))
    return "".join(chars)


def _leetspeak(word: str, rng: random.Random) -> str:
    """Replace some inner letters by digits or symbols ("idiot" -> "id10t", "shit" -> "sh!t").

    The first and last letters stay: leet at a word's edge ("idio7") looks like a name with a
    number ("win7") and is not undone.
    """
    candidates = [k for k in range(1, len(word) - 1) if word[k].lower() in _LEET]
    if not candidates:
        return word
    chosen = {k for k in candidates if rng.random() < 0.5} or {rng.choice(candidates)}
    return "".join(
        rng.choice(_LEET[ch.lower()]) if k in chosen else ch for k, ch in enumerate(word)
    )


def _spaced(word: str, rng: random.Random) -> str:
    """Separate every letter with a space ("i d i o t")."""
    return " ".join(word)


def _dotted(word: str, rng: random.Random) -> str:
    """Separate every letter with a dot, dash, underscore or asterisk ("i.d.i.o.t")."""
    return rng.choice(".-_*").join(word)


def _stretched(word: str, rng: random.Random) -> str:
    """Repeat one letter, a vowel when there is one, three to seven times ("stuuuupid")."""
    vowels = [k for k, ch in enumerate(word) if ch.lower() in "aeiouy"]
    k = rng.choice(vowels or range(len(word)))
    return word[:k] + word[k] * rng.randint(3, 7) + word[k + 1 :]


TECHNIQUES: dict[str, Callable[[str, random.Random], str]] = {
    "homoglyphs": _homoglyphs,
    "fancy": _fancy,
    "zero_width": _zero_width,
    "leetspeak": _leetspeak,
    "spaced": _spaced,
    "dotted": _dotted,
    "stretched": _stretched,
}
_NAMES = tuple(TECHNIQUES)
# Techniques that change characters but not the word's shape, and so stack with any other.
_STACKABLE = ("homoglyphs", "zero_width")


def perturb_word(word: str, rng: random.Random, technique: str | None = None) -> str:
    """Apply one technique (random when not given) to an alphabetic word, sometimes plus a second.

    The second one is a look-alike or zero-width change stacked on the first, as evaders combine.
    """
    name = technique or rng.choice(_NAMES)
    out = TECHNIQUES[name](word, rng)
    if technique is None and rng.random() < 0.2 and name not in ("spaced", "dotted", "fancy"):
        # Stack on the first result; zero-width inside leetspeak ("id1\u200b0t") is common.
        second = rng.choice([s for s in _STACKABLE if s != name])
        out = TECHNIQUES[second](out, rng)
    return out


def _obfuscate_link(m: re.Match[str], rng: random.Random) -> str:
    """Defang a link: "example dot com", "example[.]com", "example (dot) com", "hxxp://"."""
    host, tld = m.group("host"), m.group("tld")
    scheme = m.group("scheme") or ""
    style = rng.randrange(4)
    if style == 0:
        return scheme + host.replace(".", " dot ") + " dot " + tld
    if style == 1:
        return scheme.replace("http", "hxxp") + host.replace(".", "[.]") + "[.]" + tld
    if style == 2:
        return scheme + host + " (dot) " + tld
    if scheme or not _PLAIN_HOST.fullmatch(host):
        # A scheme or a hyphenated name cannot be spaced out legibly; defang it instead.
        return scheme.replace("http", "hxxp") + host + "[.]" + tld
    return " . ".join(" ".join(label) for label in host.split(".")) + " . " + " ".join(tld)


def _is_spaced_tld(m: re.Match[str]) -> bool:
    """True for the "com" of "example . com": part of a link, which perturbing would break."""
    if m.group().lower() not in _TLDS:
        return False
    text, i = m.string, m.start() - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i >= 0 and text[i] == "."


def perturb(text: str, rng: random.Random, rate: float = 0.35) -> str:
    """Rewrite `text` as an evader would: each word of >= 3 letters is perturbed with chance `rate`.

    Links ("example.com", "http://www.example.com/x") get their domain obfuscated with chance 0.8.
    Numbers, e-mail addresses, @handles and words with digits are never touched.
    """

    def repl(m: re.Match[str]) -> str:
        token = m.group()
        if m.group("link"):
            if "@" in token or rng.random() >= 0.8:
                return token
            return _LINK.sub(lambda link: _obfuscate_link(link, rng), token, count=1)
        if rng.random() >= rate or _is_spaced_tld(m):
            return token
        return perturb_word(token, rng)

    return _TOKEN.sub(repl, text)
