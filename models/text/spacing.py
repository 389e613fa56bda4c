"""Stage 2 of normalization: spaced-out letters joined ("f u c k", "i.d.i.o.t", "s-h-i-t")."""

from __future__ import annotations

import re

from models.text.alphabet import ASCII_LETTERS, TOKEN_CHARS
from models.text.offsets import Replacement, sub
from models.text.protected import Protection

# A piece of a spaced-out word: one character, not followed by another letter or digit.
_PIECE = rf"[{TOKEN_CHARS}](?![^\W_]|[@$€])"
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
    rf"[ ._*·\-][{TOKEN_CHARS}](?: (?:[._*·\-] )?|[._*·\-] ?)[{TOKEN_CHARS}](?![\w@$€])"
)


def _join_repl(m: re.Match[str]) -> Replacement:
    """Glue the single characters of a spaced-out word; needs at least one letter."""
    if Protection(m.string).overlaps(m.start(), m.end()):
        return None  # "http://example.com/a-b-c", "j.o.h.n@example.com"
    run = m.group()
    rel = list(range(0, len(run), len(m.group("sep")) + 1))
    while rel and run[rel[-1]] == "!":
        rel.pop()  # "c o m !" ends with an exclamation mark, not with a letter
    if len(rel) < 3:
        return None
    text = "".join(run[k] for k in rel)
    if not any(ch in ASCII_LETTERS for ch in text):
        return None  # "1 2 3" is a list of numbers, not a word
    tail = range(rel[-1] + 1, len(run))
    return text + run[tail.start :], rel + list(tail)


def join_spaced(s: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """Stage 2: glue runs of >= 3 single characters that share one separator."""
    if _JOIN_HINT.search(s):
        s, offsets = sub(_JOIN, _join_repl, s, offsets)
    return s, offsets
