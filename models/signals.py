"""Deployment-wide spam signals, the pure part: text fingerprints, link domains, reason strings.

Akismet sees many sites; one deployment of this service sees its own sites, which is still more
than one comment form.  Three signals come from that view, and the worker computes them with
the database (recent comments, their fingerprints, the domains of moderator-rejected spam);
this module holds only what needs no database, so it is the same in every process:

* :func:`fingerprint` -- a 64-bit SimHash of the normalized text, as a signed int64 for a
  ``BIGINT`` column; :func:`hamming` and :func:`is_near_duplicate` compare two of them, and
  :func:`bands` gives the keys of an index that finds the candidates without a scan.
* :func:`link_domains` -- the registrable domains a comment links to (text and ``url`` field);
  :func:`counted_domains` -- those of them the spam-domain signal may count.
* :func:`duplicate_signal`, :func:`velocity_signal`, :func:`spam_domain_signal` -- a
  :class:`Signal` with the explained reason a moderator reads ("same text as 14 comments in
  the last hour on 3 sites"), or None when the counts do not reach the threshold.

Nothing here depends on Python's per-process ``hash()``: fingerprints are BLAKE2b-based, so
two workers, or a worker today and one next year, compute the same value for the same text.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np

from models.text import normalize, normalize_with_offsets, to_original_span

# ---------------------------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------------------------

BITS = 64
# Character shingle size.  4 keeps one changed character from touching more than 4 shingles,
# while two unrelated English comments share few 4-grams.
SHINGLE = 4
# Texts whose folded form is shorter than this get no fingerprint: "thanks!" or "great post"
# repeat across a deployment innocently, and so few shingles make the hash unstable.
MIN_CHARS = 24
# Hamming distance at or below which two fingerprints count as the same text (see the model
# card: measured on re-spelled and re-numbered spam campaigns against distinct comments).
NEAR_DISTANCE = 12

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
_MIXED_WORD = re.compile(r"[a-z0-9@]*[a-z][a-z0-9@]*")
_DIGIT_RUN = re.compile(r"\d+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_REPEAT = re.compile(r"(.)\1+")
_LINK = re.compile(r"(https?://|www\.)\S+")


def folded(text: str) -> str:
    """The form a fingerprint is computed on: letters and digits only, re-spellings undone.

    On top of :func:`models.text.normalize` (look-alikes, leetspeak, spacing, obfuscated
    links): digits inside words become the letters they imitate ("0ut" -> "out"), every other
    run of digits becomes one ``0`` (campaigns change the phone number and the price from post
    to post), links keep only their host, spaces and punctuation go ("c-h-e-a-p" and "cheap"
    agree) and repeated characters count once ("stuupid" and "stupid" agree).
    """
    s = normalize(text)
    s = _LINK.sub(lambda m: " " + _url_host(m.group(0)) + " ", s)
    s = _MIXED_WORD.sub(lambda m: m.group(0).translate(_LEET), s)
    s = _DIGIT_RUN.sub("0", s)
    return _REPEAT.sub(r"\1", _NOT_ALNUM.sub("", s))


def _url_host(url: str) -> str:
    u = re.sub(r"^(?:https?://)?(?:www\.)?", "", url)
    return re.split(r"[/?#:]", u, maxsplit=1)[0]


def _shingle_hashes(s: str) -> np.ndarray:
    grams = {s[i : i + SHINGLE] for i in range(len(s) - SHINGLE + 1)}
    digests = b"".join(
        hashlib.blake2b(g.encode(), digest_size=8, person=b"mod-simhash").digest()
        for g in sorted(grams)
    )
    return np.frombuffer(digests, dtype="<u8")


def _to_int64(value: int) -> int:
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def fingerprint(text: str) -> int | None:
    """The 64-bit SimHash of ``text`` as a signed int64, or None if the text is too short.

    Each distinct 4-character shingle of :func:`folded` votes on every bit with its own
    BLAKE2b hash; a bit of the fingerprint is set where most shingles set it.  Texts that share
    most of their shingles get fingerprints a few bits apart.  None (under :data:`MIN_CHARS`
    folded characters) means "do not compare": short texts repeat innocently.
    """
    s = folded(text)
    if len(s) < MIN_CHARS:
        return None
    h = _shingle_hashes(s)
    bits = (h[:, None] >> np.arange(BITS, dtype=np.uint64)) & np.uint64(1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(h)
    value = 0
    for i in np.flatnonzero(votes > 0):
        value |= 1 << int(i)
    return _to_int64(value)


def hamming(a: int, b: int) -> int:
    """Number of differing bits of two fingerprints (signed or unsigned, same result)."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()


def is_near_duplicate(a: int | None, b: int | None, max_distance: int = NEAR_DISTANCE) -> bool:
    """True if both texts had a fingerprint and they are at most ``max_distance`` bits apart."""
    return a is not None and b is not None and hamming(a, b) <= max_distance


def bands(fp: int, n: int = 4) -> list[int]:
    """Index keys of a fingerprint: ``n`` slices of its bits, each tagged with its position.

    Two fingerprints at most ``n - 1`` bits apart share at least one key (pigeonhole), so an
    indexed table of (key, comment) finds every such pair with ``n`` equality lookups.  For the
    looser :data:`NEAR_DISTANCE` use the keys to find exact-ish repeats fast and compare the
    fingerprints of the recent comments directly (a popcount each): within one hour a
    deployment has thousands, not millions.  Keys are non-negative and below 2**32.
    """
    if not 1 <= n <= 16 or BITS % n:
        raise ValueError(f"bands must divide {BITS} and be between 1 and 16, not {n}")
    width = BITS // n
    u = fp & ((1 << BITS) - 1)
    mask = (1 << width) - 1
    return [(i << width) | ((u >> (i * width)) & mask) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Link domains
# ---------------------------------------------------------------------------------------------

# Links as they appear in the original text (Unicode hosts included), and host syntax.
_RAW_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)+$")


@lru_cache(maxsize=1)
def _psl():  # type: ignore[no-untyped-def]
    from publicsuffixlist import PublicSuffixList

    # The list ships inside the package (no download); its private section is kept so that
    # each blogspot.com or github.io site is its own domain, as each has its own owner.
    return PublicSuffixList(only_icann=False)


def ascii_host(host: str) -> str | None:
    """``host`` lower-cased and IDNA-encoded (punycode), or None if it is not a host name."""
    host = host.strip().strip(".").lower()
    if not host or not _HOST.match(host):
        return None
    if host.isascii():
        return host
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return None


def registrable_domain(host: str) -> str | None:
    """The registrable domain of a host name ("www.news.bbc.co.uk" -> "bbc.co.uk").

    Lower case, punycode for international names, IP addresses as they are; None when the
    host is itself a public suffix ("co.uk") or not a host name.
    """
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    h = ascii_host(host)
    if h is None:
        return None
    return _psl().privatesuffix(h)


def _candidate_hosts(text: str) -> Iterable[str]:
    """Hosts of the links in ``text``, in order, from the original and the normalized text."""
    from models.features import URL_RE

    for m in _RAW_URL.finditer(text):
        yield _url_host(m.group(0).lower())
    # Obfuscated links ("example dot com") only exist after normalization.  Where the
    # original characters of a match already form a host name, that original (with its
    # non-Latin letters) is the domain, not the Latin look-alike normalization made of it.
    norm, offsets = normalize_with_offsets(text)
    for m in URL_RE.finditer(norm):
        start, end = to_original_span(offsets, m.start(), m.end(), text)
        raw = _url_host(text[start:end].lower())
        yield raw if _HOST.match(raw) else _url_host(m.group(0))


def link_domains(text: str, url: str | None = None) -> list[str]:
    """The distinct registrable domains ``text`` links to, in order, then that of ``url``."""
    out: list[str] = []
    hosts = list(_candidate_hosts(text or ""))
    if url:
        hosts.append(_url_host(url.strip().lower()))
    for host in hosts:
        d = registrable_domain(host)
        if d and d not in out:
            out.append(d)
    return out


# Domains a link to which says nothing about its author, so a spam rejection never marks them:
# citations (``models.features.REFERENCE_DOMAINS`` and public-sector suffixes, as the spam
# model's features treat them) and platforms where one domain hosts everybody's pages, which
# spam pads its links with to look natural (a YouTube link in one spam comment must not hold
# every YouTube link of the deployment).
REFERENCE_SUFFIXES = (".gov", ".edu", ".ac.uk", ".gov.uk", ".mil", ".int")
SHARED_DOMAINS = (
    "youtube.com",
    "youtu.be",
    "facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "reddit.com",
    "google.com",
    "amazon.com",
    "linkedin.com",
    "medium.com",
    "tiktok.com",
    "wordpress.com",
)


def is_reference(domain: str) -> bool:
    """Whether a registrable domain is a citation or shared platform that is never counted."""
    from models.features import REFERENCE_DOMAINS

    if domain in REFERENCE_DOMAINS or domain in SHARED_DOMAINS:
        return True
    return ("." + domain).endswith(REFERENCE_SUFFIXES)


def counted_domains(text: str, url: str | None, own: Iterable[str] = ()) -> list[str]:
    """The domains of :func:`link_domains` that the spam-domain signal counts and looks up.

    Leaves out :func:`is_reference` domains and the site's own (``own``: its origins, as URLs
    or host names, set by an administrator): a site's readers link to its pages, and spam that
    quotes the site's address must not make that address a spam domain.  The comment's
    ``thread_url`` is not "own": whoever posts the comment chooses it.
    """
    mine = {d for d in (registrable_domain(_url_host(o.strip().lower())) for o in own) if d}
    return [d for d in link_domains(text, url) if d not in mine and not is_reference(d)]


# ---------------------------------------------------------------------------------------------
# Signals and their reasons
# ---------------------------------------------------------------------------------------------


class SignalKind(StrEnum):
    """What a deployment-wide signal saw; the value is the stored reason code."""

    NEAR_DUPLICATE = "near_duplicate"
    VELOCITY_IP = "velocity_ip"
    VELOCITY_AUTHOR = "velocity_author"
    SPAM_DOMAIN = "spam_domain"


@dataclass(frozen=True)
class Signal:
    """A signal that fired: its kind, the count behind it and the reason a moderator reads."""

    kind: SignalKind
    count: int
    reason: str


# Default firing thresholds; a deployment may pass its own.
DUPLICATE_MIN = 3
# Copies of one text count only when they come from at least this many OTHER sites: anybody can
# post with a site's public key (it sits in the site's comment form), so copies from one other
# site are one poster's word, whatever client addresses they claim (docs/security.md).
DUPLICATE_SITES = 2
VELOCITY_IP_MAX = 10
VELOCITY_AUTHOR_MAX = 6
SPAM_DOMAIN_MIN = 2


def window_phrase(seconds: float) -> str:
    """ "the last hour", "the last 10 minutes", "the last 2 days": a look-back window in words."""
    s = round(seconds)
    if s <= 0:
        raise ValueError("a window must be positive")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if s >= size and s % size == 0:
            n = s // size
            return f"the last {unit}" if n == 1 else f"the last {n} {unit}s"
    return f"the last {s} seconds"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def duplicate_signal(
    matches: int,
    sites: int,
    window_seconds: float,
    min_matches: int = DUPLICATE_MIN,
    min_sites: int = DUPLICATE_SITES,
) -> Signal | None:
    """Fires when ``matches`` recent comments on ``sites`` other sites have the same text.

    ``matches`` counts the OTHER comments within the window whose fingerprint is a near
    duplicate of this one's; ``sites`` how many distinct other sites they were posted on.  Both
    must reach their minimum: copies from fewer than ``min_sites`` sites are not independent
    evidence (:data:`DUPLICATE_SITES`), and the reason says that they were not.
    """
    if matches < min_matches or sites < min_sites:
        return None
    reason = (
        f"same text as {_plural(matches, 'comment')} in {window_phrase(window_seconds)} "
        f"on {_plural(sites, 'other site')} (copies from one site alone never count)"
    )
    return Signal(SignalKind.NEAR_DUPLICATE, matches, reason)


def velocity_signal(
    kind: SignalKind, count: int, window_seconds: float, limit: int | None = None
) -> Signal | None:
    """Fires when one client-IP hash or one author submitted more than ``limit`` comments.

    ``count`` includes this comment.  ``kind`` is :attr:`SignalKind.VELOCITY_IP` or
    :attr:`SignalKind.VELOCITY_AUTHOR`; the default limits are :data:`VELOCITY_IP_MAX` and
    :data:`VELOCITY_AUTHOR_MAX`.
    """
    if kind is SignalKind.VELOCITY_IP:
        who, default = "this network address", VELOCITY_IP_MAX
    elif kind is SignalKind.VELOCITY_AUTHOR:
        who, default = "this author", VELOCITY_AUTHOR_MAX
    else:
        raise ValueError(f"not a velocity signal: {kind}")
    if count <= (default if limit is None else limit):
        return None
    reason = f"{_plural(count, 'comment')} from {who} in {window_phrase(window_seconds)}"
    return Signal(kind, count, reason)


def spam_domain_signal(
    domain: str, rejected: int, window_seconds: float, min_rejected: int = SPAM_DOMAIN_MIN
) -> Signal | None:
    """Fires when ``domain`` was linked by ``rejected`` comments a moderator rejected as spam.

    ``rejected`` counts distinct comments (each moderator rejection once) in the window.
    """
    if rejected < min_rejected:
        return None
    times = "once" if rejected == 1 else f"{rejected} times"
    reason = (
        f"links to {domain}, rejected as spam by a moderator {times} "
        f"in {window_phrase(window_seconds)}"
    )
    return Signal(SignalKind.SPAM_DOMAIN, rejected, reason)
