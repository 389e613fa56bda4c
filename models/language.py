"""Which language a comment is in, so that one the models cannot read is not scored as English.

The detector is py3langid (a Naive Bayes model over byte n-grams, 140 languages, shipped inside
its wheel: nothing is downloaded).  Comments are short, informal and full of names, links and
emoji, which is where a general-purpose detector errs, so :func:`detect` is deliberately
reluctant to say "not English":

* links, e-mail addresses, @handles, digits and HTML (``&#39;``, ``<br />``) are removed first;
  a text in capitals is lower-cased;
* in a text that mixes scripts, only the letters of the script most of its letters are in are
  read ("PSY - GANGNAM STYLE (강남스타일)" is read as Latin text, not as Korean);
* under :data:`MIN_LETTERS` letters ("lol ok", "omg!!") the answer is ``und`` (undetermined);
* a language other than English must reach :data:`MIN_CONFIDENCE`, else ``und``;
* Nigerian Pidgin (``pcm``), which langid gives to much informal English ("how u dey, hope ur
  ok"), counts as English; ``zxx`` (no linguistic content) is ``und``.

The false "not English" rate of these rules on real English comments is measured by
``models.evaluate`` and reported in the model card.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

# The languages the shipped models were trained on.
SUPPORTED: frozenset[str] = frozenset({"en"})
UNDETERMINED = "und"
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.8
# langid labels that are English for our purposes (an English-lexified creole the models read
# as well as any informal English), and labels that mean "no language".
AS_ENGLISH = frozenset({"pcm"})
NO_LANGUAGE = frozenset({"zxx"})

_NOISE = re.compile(
    r"<[^>]{0,200}>|(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\w)@\w+|\d+",
    re.IGNORECASE,
)

_lock = threading.Lock()
_identifier: Any = None


@dataclass(frozen=True)
class Detection:
    """A detected language: ISO 639 code (or ``und``) and the detector's probability for it."""

    code: str
    confidence: float


def _get_identifier() -> Any:
    """The py3langid model, loaded once per process (about a second; thread-safe)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def load() -> None:
    """Load the detector now (a worker does this before its first job, like the models)."""
    _get_identifier()


def _script(ch: str) -> str:
    """A coarse script name of a letter: the first word of its Unicode name."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "OTHER"
    first = name.split(" ", 1)[0]
    return "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA") else first


def readable_text(text: str) -> str:
    """What the detector reads: no HTML, links, handles or digits; one script; capitals lowered."""
    s = unicodedata.normalize("NFKC", html.unescape(text or ""))
    s = _NOISE.sub(" ", s)
    letters = [c for c in s if c.isalpha()]
    if letters:
        counts: dict[str, int] = {}
        for c in letters:
            sc = _script(c)
            counts[sc] = counts.get(sc, 0) + 1
        main = max(counts, key=counts.__getitem__)
        if len(counts) > 1:
            s = "".join(c if not c.isalpha() or _script(c) == main else " " for c in s)
        upper = sum(c.isupper() for c in letters)
        if upper > 0.6 * len(letters):
            s = s.lower()
    return " ".join(s.split())


def detect(text: str) -> Detection:
    """The language of ``text``: ``Detection(code, confidence)``; never raises on any string.

    ``code`` is an ISO 639 code as py3langid names it ("en", "de", "pt", "zh", ...) or ``und``
    (undetermined) when the text is too short (under :data:`MIN_LETTERS` letters once links,
    handles and digits are removed), has no linguistic content, or the best language other
    than English has a probability under :data:`MIN_CONFIDENCE`.  ``confidence`` is the
    detector's probability of its best language (0.0 when nothing was read).  ``und`` means
    "score it as English": a comment is only kept from the models when it is confidently in
    another language.
    """
    s = readable_text(text)
    if sum(c.isalpha() for c in s) < MIN_LETTERS:
        return Detection(UNDETERMINED, 0.0)
    code, confidence = _get_identifier().classify(s)
    confidence = round(float(confidence), 4)
    if code in AS_ENGLISH:
        return Detection("en", confidence)
    if code in NO_LANGUAGE or (code != "en" and confidence < MIN_CONFIDENCE):
        return Detection(UNDETERMINED, confidence)
    return Detection(code, confidence)


def unsupported_language(text: str, supported: frozenset[str] = SUPPORTED) -> str | None:
    """The code of the language ``text`` is in if the models cannot read it, else None.

    The gate the worker applies before scoring: None means score the comment (English, or
    undetermined: short, mixed or unsure texts are scored, never refused); a code such as
    ``"de"`` means leave it unscored with the reason ``language:de`` and let the site's policy
    hold it or publish it unscored.
    """
    found = detect(text)
    if found.code == UNDETERMINED or found.code in supported:
        return None
    return found.code
