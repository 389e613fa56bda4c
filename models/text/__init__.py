"""Normalization of comment text against evasion, for the spam and toxicity classifiers.

People who want a comment past a filter write "іdіоt" with Cyrillic letters, "ｉｄｉｏｔ" in
full-width, "id\u200biot" with a zero-width space, "1d10t", "i d i o t", "i.d.i.o.t",
"stuuuupid" or "example dot com". `normalize` folds all of these to one canonical form so the
models see the word they were trained on, while keeping what the spam model needs intact: numbers,
prices, phone numbers, URLs, e-mail addresses and @handles.

`normalize_with_offsets` returns, for every character of that canonical form, the index of the
original character it came from, so explanations computed on normalized text can be shown on the
text the user wrote (`to_original_span`).

The pipeline, in order (each stage sees the output of the previous one; a module each):

1. characters (``unicode``, with the tables of ``lookalikes``): NFKC, lowercase, invisible,
   format and control characters removed, look-alike letters (small capitals, enclosed letters,
   Cherokee...) mapped to Latin, diacritics on Latin letters and combining marks ("Zalgo") after
   them dropped, whitespace collapsed to one space. Cyrillic and Greek look-alikes are mapped
   everywhere in a text that has no genuine Cyrillic or Greek letter, and otherwise only inside
   words that mix scripts, so Russian and Greek comments are not garbled;
2. spaced letters joined (``spacing``): runs of >= 3 single characters with the same separator
   ("f u c k", "i.d.i.o.t", "s-h-i-t");
3. obfuscated links restored (``links``): "example dot com", "example[.]com", "example . com",
   "hxxp://", "name[at]example.com";
4. leetspeak inside words mapped to letters (``leet``: "h4te", "sh!t", "b@stard"), stretched
   letters squeezed to two ("stuuuupid" -> "stuupid"); URLs, e-mails, handles, money and phone
   numbers are left untouched; then stage 3 once more, for links that leetspeak hid
   ("example d0t c0m").

Every stage is a pure function of its input, and `normalize` and `normalize_with_offsets` run the
same code (offsets are only carried when asked for), so the two always return the same text.
`normalize` is idempotent, and runs in time linear in the length of the text (patterns that
could backtrack are bounded or anchored on cheap markers). Offsets are carried by
:mod:`models.text.offsets`; what no stage may rewrite (links, e-mail addresses) is found by
:mod:`models.text.protected`.
"""

# The examples above are made of look-alike characters.
# ruff: noqa: RUF002

from __future__ import annotations

from models.text.leet import leet_and_stretch
from models.text.links import restore_links
from models.text.offsets import to_original_span
from models.text.spacing import join_spaced
from models.text.unicode import chars

__all__ = ["normalize", "normalize_with_offsets", "to_original_span"]


def _pipeline(text: str, track: bool) -> tuple[str, list[int] | None]:
    """Run all stages; carry offsets only when `track` is true."""
    s, offsets = chars(text, track)
    s, offsets = join_spaced(s, offsets)
    s, offsets = restore_links(s, offsets)
    mapped, offsets = leet_and_stretch(s, offsets)
    if mapped != s:
        # Leetspeak can complete a link ("example d0t c0m"); links only turn separators into
        # dots, so one more pass leaves nothing for a second normalize() to change.
        mapped, offsets = restore_links(mapped, offsets)
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

    Offsets are non-decreasing, except in text that bidirectional controls show in another order
    (there they follow the order a reader sees: ``models.text.bidi``). Characters that replace
    several original ones (the "." of "example dot com", a joined "f u c k") point at the original
    character they stand for.
    """
    s, offsets = _pipeline(text, track=True)
    assert offsets is not None
    return s, offsets
