"""Public spam lists as features of the spam model: listed link domains and blocklist phrases.

The shared data's ``raw/spam-link-lists`` holds Stop Forum Spam's "toxic domains" (forum-spam
registrations, April 2021), Matomo's referrer-spam hosts and the WordPress comment blocklist
(words, phrases, fragments seen in comment spam).  None is proof on its own: many blocklist
entries are ordinary words (WordPress applied as substrings it matches 8.5% of clean news
comments), and a domain once used for spam says little about a new comment.  So they become
tokens the linear model weighs against everything else, learned from labelled comments:

* ``list_domain``: a link in the text, the ``url`` field or the e-mail's domain has its
  registrable domain on the Stop Forum Spam or Matomo list;
* ``list_phrase`` / ``list_phrase_2``: one / two or more blocklist entries of two to five words
  appear in the text as whole words (single words and entries of fewer than two content words
  are left out: too many are ordinary).

The lists are read once at ``fit`` (:class:`SpamListTokens`) and kept in the artifact, so the
service needs no data folder and a model scores the same wherever it is loaded.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

from models.signals import link_domains, registrable_domain

log = logging.getLogger(__name__)

DOMAIN_FILES = ("toxic_domains_whole.txt", "spammers.txt")
PHRASE_FILE = "blacklist.txt"
MIN_WORDS, MAX_WORDS = 2, 5
_WORD_RE = re.compile(r"\w+(?:'\w+)*")
# Words that do not make a phrase: an entry needs two words outside this list ("the best",
# "to get" and "this article has" are entries, and civil comments are full of them).
_STOP = (
    "a an the and or but if of to in on at by for from with as is are was were be been it its "
    "this that these those i you he she we they me my your our their his her them us do does "
    "did not no so than then there here what which who how all any can will just get got has "
    "have had more most best good very too up out about into over new one two"
)
STOP_WORDS = frozenset(_STOP.split(" "))


def phrase_key(text: str) -> str:
    """A text's words, lower-cased, joined by one space: how phrases and texts are compared."""
    return " ".join(_WORD_RE.findall(text.lower()))


@functools.lru_cache(maxsize=8)
def _as_set(joined: str) -> frozenset[str]:
    # A str caches its own hash, so after the first call this lookup is O(1) per batch.
    return frozenset(joined.split("\n")) if joined else frozenset()


def read_lists(lists_dir: Path) -> tuple[list[str], list[str]]:
    """(registrable domains, phrase keys) of the lists in ``lists_dir``; empty if absent."""
    domains: set[str] = set()
    phrases: set[str] = set()
    for name in DOMAIN_FILES:
        path = lists_dir / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            host = line.strip().lower()
            if host and not host.startswith("#"):
                d = registrable_domain(host)
                if d:
                    domains.add(d)
    path = lists_dir / PHRASE_FILE
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            key = phrase_key(line)
            words = key.split()
            content = [w for w in words if w not in STOP_WORDS and not w.isdigit()]
            if " " in line.strip() and MIN_WORDS <= len(words) <= MAX_WORDS and len(content) >= 2:
                phrases.add(key)
    return sorted(domains), sorted(phrases)


class SpamListTokens(TransformerMixin, BaseEstimator):
    """Records -> a string of list tokens per record (``list_domain``, ``list_phrase``...).

    ``lists_dir`` is read at :meth:`fit`; the learned ``domains_`` and ``phrases_`` are each one
    newline-joined string (one artifact node, not tens of thousands).  Without the folder both
    are empty and every record gets no token; the manifest says how many entries were read.
    """

    def __init__(self, lists_dir: str | None = None) -> None:
        self.lists_dir = lists_dir

    def fit(self, X: Sequence[Mapping[str, Any]], y: Any = None) -> SpamListTokens:
        domains: list[str] = []
        phrases: list[str] = []
        if self.lists_dir and Path(self.lists_dir).is_dir():
            domains, phrases = read_lists(Path(self.lists_dir))
        else:
            log.warning("no spam lists at %s: the list tokens stay off", self.lists_dir)
        self.domains_ = "\n".join(domains)
        self.phrases_ = "\n".join(phrases)
        self.n_domains_ = len(domains)
        self.n_phrases_ = len(phrases)
        return self

    def transform(self, X: Sequence[Mapping[str, Any]]) -> list[str]:
        domains, phrases = _as_set(self.domains_), _as_set(self.phrases_)
        return [" ".join(self.tokens(r, domains, phrases)) for r in X]

    @staticmethod
    def tokens(
        record: Mapping[str, Any], domains: frozenset[str], phrases: frozenset[str]
    ) -> list[str]:
        """The list tokens of one record."""
        toks: list[str] = []
        text = record.get("text") or ""
        if domains:
            found = link_domains(text, record.get("url"))
            email = (record.get("email") or "").rpartition("@")[2].strip().lower()
            if email:
                found.append(registrable_domain(email) or email)
            if any(d in domains for d in found):
                toks.append("list_domain")
        if phrases:
            words = phrase_key(text).split()
            hits = {
                " ".join(words[i : i + n])
                for n in range(MIN_WORDS, MAX_WORDS + 1)
                for i in range(len(words) - n + 1)
            } & phrases
            if hits:
                toks.append("list_phrase")
                if len(hits) > 1:
                    toks.append("list_phrase_2")
        return toks
