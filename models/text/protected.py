"""What normalization leaves as written: links and e-mail addresses (and the domains they end in).

:class:`Protection` finds them once per text, so that joining spaced letters and mapping leetspeak
never rewrite "http://example.com/a-b-c" or "j.o.h.n@example.com".
"""

from __future__ import annotations

import bisect
import re

TLDS_WORDY = (
    "com|net|org|info|biz|io|co|uk|de|ru|cn|fr|nl|eu|ca|au|jp|br|es|pl|ch|se|xyz|tk|ml|ga|cf|gq|"
    "pw|cc|ws|ly|gl|tv|gov|edu|online|site|shop|club|top|app|dev|ai|gg|su|ua|kz|by|vn|in|icu|buzz"
)
# Bare domains ("example.com") are recognised with a wider list, since the dot is already there.
TLDS_BARE = TLDS_WORDY + "|me|us|to|be|it|live|link|click|win|vip|store|tech|cloud|page|blog|news"
TLDS_STRONG = (  # accepted after " ." (space before the dot): never sentence punctuation
    "com|net|org|info|biz|io|ru|cn|xyz|uk|de|online|site|shop|club|top|ly|gl|tk"
)

URL = (
    r"(?:https?|ftp)://[^\s<>\"']+"
    r"|(?<![\w.@-])www\.[^\s<>\"']+"
    rf"|(?<![\w.@-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{TLDS_BARE})\b(?:[/?#][^\s<>\"']*)?"
)
EMAIL = r"(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+"

_PROTECTED = re.compile(rf"{URL}|{EMAIL}")
_URL_END = re.compile(r"[<>\"']")


class Protection:
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
