"""Stage 3 of normalization: obfuscated links restored ("example dot com", "hxxp[:]//", "[at]")."""

from __future__ import annotations

import re

from models.text.offsets import Replacement, anchored_sub, sub
from models.text.protected import TLDS_BARE, TLDS_STRONG, TLDS_WORDY

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
    rf"(?:(?:{_SEP_BRACKET}|{_SEP_PLAIN})(?:{TLDS_BARE})|{_SEP_WORD}(?:{TLDS_WORDY})"
    rf"|{_SEP_SPACED}(?:{TLDS_STRONG}))\b"
)
# "name[at]example.com", once the domain is restored: only where the result is an address.
_OBFUSCATED_AT = re.compile(
    r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]{0,63}(?P<at>\s*[\[({<]\s*(?:@|at)\s*[\])}>]\s*)"
    r"(?=[a-z0-9-]+(?:\.[a-z0-9-]+)+)"
)
# Words before "dot com" that show it is prose ("the dot com bubble").
_PROSE_BEFORE_DOT = frozenset({"the", "a", "an", "this", "that", "one", "each", "every", "no"})


def _hxxp_repl(m: re.Match[str]) -> Replacement:
    """Re-arm a defanged scheme ("hxxp[:]//") as "http://"."""
    s = m.group(1)
    text = "http" + s + "://"
    rel = [0, 1, 2, 3] + ([4] if s else [])
    colon = m.group().index(":")
    slash = m.group().index("/")
    return text, [*rel, colon, slash, m.group().rindex("/")]


def _domain_repl(m: re.Match[str]) -> Replacement:
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


def _at_repl(m: re.Match[str]) -> Replacement:
    """Turn the "[at]" of an obfuscated e-mail address into '@'."""
    at = m.group("at")
    start = m.start("at") - m.start()
    return m.group()[:start] + "@", [*range(start), start + len(at) - len(at.lstrip())]


_DOMAIN_MARKER = re.compile(r"[\[({<]\s*(?:\.|d[o0]t)\s*[\])}>]| d[o0]t | \.")
_AT_MARKER = re.compile(r"[\[({<]\s*(?:@|at)\s*[\])}>]")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._%+")


def restore_links(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 3: undo link obfuscation; each pattern is only run when its cheap marker is present."""
    if "p" in s and ("xx" in s or "**" in s or "[:]" in s or "(:)" in s or "[/]" in s):
        s, offsets = sub(_HXXP, _hxxp_repl, s, offsets)
    bracket = "[" in s or "(" in s or "{" in s or "<" in s
    if bracket or " dot " in s or " d0t " in s or " ." in s:
        s, offsets = anchored_sub(
            _DOMAIN_MARKER, _OBFUSCATED_DOMAIN, _LABEL_CHARS, _domain_repl, s, offsets
        )
    if bracket and ("at" in s or "@" in s):
        s, offsets = anchored_sub(_AT_MARKER, _OBFUSCATED_AT, _LOCAL_CHARS, _at_repl, s, offsets)
    return s, offsets
