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

:func:`route` is the one place that decides which model scores a comment (the worker,
``moderation score`` and the drop-in protocols all call it): a language the request names, else
the detected one, else, for a short or unsure text, the best of the site's declared languages
(and English).  A language without a model is ``unread``: the caller leaves the comment
unscored with ``language:<code>``.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.scorer import Scorer

# The languages the shipped models were trained on.
SUPPORTED: frozenset[str] = frozenset({"en"})
UNDETERMINED = "und"
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.8
# How many of the detector's guesses a short text in a non-Latin script is routed among.
SCRIPT_GUESSES = 5
# How much likelier than English a site's declared language must be for a short or unsure text
# to go to its model (measured on English and the languages' sets: docs/models.md).
DECLARED_MARGIN = 2.0
# The same with nothing declared, among the languages with a model: far likelier, so that
# English stays English (measured on four English sets: 0-0.13% moved at 10, 0.07-0.6% at 2).
UNDECLARED_MARGIN = 10.0
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


@dataclass(frozen=True)
class Route:
    """Which model scores a comment: ``scorer`` None means no model reads ``language``.

    ``how`` says why: ``requested`` (the request named it), ``detected``, ``declared`` (a short
    or unsure text, decided among the site's declared languages), ``script`` (a short text in a
    script English is not written in), ``likely`` (short or unsure, nothing declared, far likelier
    than English) or ``default`` (short or unsure, nothing declared: English).
    """

    language: str
    scorer: Scorer | None
    how: str


def base_code(code: str | None) -> str:
    """``"pt-BR"`` -> ``"pt"``; empty for None or an empty string."""
    return (code or "").strip().lower().replace("_", "-").split("-")[0]


def route(
    text: str,
    english: Scorer,
    *,
    requested: str | Iterable[str] | None = None,
    declared: Iterable[str] = (),
) -> Route:
    """The model that scores ``text``: ``english`` or one of ``english.languages``.

    1. A requested language (Perspective's ``languages``, Coral's locale, a comment's
       ``language``) with a model is used as asked, like Perspective does; one without a model
       is ignored (detection decides).
    2. A language :func:`detect` is sure of: its model, or ``unread`` if it has none.
    3. A short or unsure text (``und``) never flips between models on chance: it goes to the
       best-ranked of the site's ``declared`` languages if the detector finds it at least
       :data:`DECLARED_MARGIN` times likelier than English, else English; with nothing declared, a
       Latin-script text goes to a language with a model the detector finds
       :data:`UNDECLARED_MARGIN` times likelier than English, else to English (as before), and a
       text in another script to the detector's guess in that script (a short Arabic tweet is
       not English).
    """
    models: Mapping[str, Scorer] = {"en": english, **getattr(english, "languages", {})}
    asked = [requested] if isinstance(requested, str) or requested is None else list(requested)
    for code in (base_code(c) for c in asked):
        if code in models:
            return Route(code, models[code], "requested")
    found = detect(text)
    if found.code != UNDETERMINED:
        code = base_code(found.code)
        return Route(code, models.get(code), "detected")
    s = readable_text(text)
    letters = [c for c in s if c.isalpha()]
    candidates = {base_code(c) for c in declared} - {"", "en"}
    if candidates:
        ranked = dict(_get_identifier().rank(s)) if letters else {}
        best = max(candidates, key=lambda code: ranked.get(code, 0.0))
        # English unless a declared language is clearly likelier: "Fuck" or "Zuko gets
        # bitches" rank German a hair above English, "ok danke" six times above.
        if ranked.get(best, 0.0) >= DECLARED_MARGIN * ranked.get("en", 0.0) > 0.0:
            return Route(best, models.get(best), "declared")
        return Route("en", english, "declared")
    if letters and _script(letters[0]) == "LATIN" and len(models) > 1:
        # Nothing declared: a language with a model only when the detector finds it far
        # likelier than English (short Spanish and Portuguese tweets mostly are).
        ranked = dict(_get_identifier().rank(s))
        best = max((code for code in models if code != "en"), key=lambda c: ranked.get(c, 0.0))
        if ranked.get(best, 0.0) >= UNDECLARED_MARGIN * ranked.get("en", 0.0) > 0.0:
            return Route(best, models[best], "likely")
    # readable_text keeps one script's letters only: the first letter names it.
    if letters and _script(letters[0]) != "LATIN":
        # A few letters cannot tell Russian from Kyrgyz: a language with a model among the
        # detector's first few guesses is taken before one without.
        ranked = [base_code(code) for code, _p in _get_identifier().rank(s)[:SCRIPT_GUESSES]]
        ranked = [code for code in ranked if code not in ("en", *AS_ENGLISH, *NO_LANGUAGE)]
        if ranked:
            top = next((code for code in ranked if code in models), ranked[0])
            return Route(top, models.get(top), "script")
    return Route("en", english, "default")
