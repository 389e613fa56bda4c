"""Turn scores, the comment's words and its author's record into a verdict with reasons.

A site's policy is a JSON object stored with the site; every key is optional and falls back to
``DEFAULT_POLICY``:

=================  ==========================  ==================================================
key                default                     meaning
=================  ==========================  ==================================================
``thresholds``     per label, see below        ``{label: {"hold": p, "reject": p}}``: hold for a
                                               moderator at or above ``hold``, reject at or above
                                               ``reject``; ``null`` hold = the model's threshold
                                               (chosen on held-out data), ``null`` reject = never
``premoderation``  ``false``                   hold every comment (a banned word still rejects,
                                               a trusted author is still approved)
``trusted_after``  ``null`` (nobody trusted)   approve, without holding, comments of an author
                                               (same e-mail) whose comments a moderator approved,
                                               minus those rejected, reach this number on the site
``rehold_after_reports`` ``3``                readers' reports that hold an approved comment
                                               again (``moderation.reports``); ``null``: never
``banned_words``   ``[]``                      words or phrases that reject a comment
``suspect_words``  ``[]``                      words or phrases that hold a comment
``shadow``         ``false``                   shadow mode: compute and store the verdict, but
                                               publish (``approved``) with the reasons
                                               ``shadow_held`` or ``shadow_rejected`` followed
                                               by the verdict's own; see ``shadowed``
=================  ==========================  ==================================================

``signals`` (default ``DEFAULT_SIGNALS``): ``{signal: count}``, hold a comment when a
deployment-wide spam signal the worker counted (``models.signals``) reaches the count; ``null``
turns a signal off. ``near_duplicate``: comments of the last hour on the deployment's other
sites with the same text (by fingerprint), counted only when they come from at least two other
sites; ``velocity_ip`` and ``velocity_author``: comments of the last 10 minutes, this one
included, from the same client-IP hash or the same author (e-mail hash), on any site;
``spam_domain``: comments a moderator rejected as spam in the last 90 days that linked a domain
this comment links to (``moderation.rejected_domains``). The reason is the signal's name; the
worker stores its explanation.

``unknown_language`` (default ``"hold"``): a comment the models cannot read (another language, by
``models.language``) is never scored; ``unread`` gives it the reasons ``unscored`` and
``language:<code>`` and holds it for a moderator, or publishes it with ``"publish"``.

Default thresholds: ``spam`` reject 0.97, ``severe_toxicity`` reject 0.95, every other label
(``toxicity``, ``insult``, ``identity_attack``, ``threat``, ``profanity``) never rejected; every
label holds at the model's threshold (``FALLBACK_HOLD`` if the model has none).

Words are matched as whole words or phrases (``class`` does not match ``ass``) on text folded by
the normalization the models use (``models.text.normalize``, passed in by the worker so that this
module stays free of the models): look-alike letters, invisible characters, spaced letters and
leetspeak do not evade a list, and stretched letters ("stuuupid") match.

Moderators' settings on the comment's author and thread (``moderation.settings``, passed in as
a ``Standing``) come first: a banned or suspended author's comment is ``rejected``
(``author_banned``, ``author_suspended``), in shadow mode too, since a person decided it; a
pre-moderated author or thread holds like site pre-moderation (``author_premoderated``,
``thread_premoderated``) and outweighs trust earned by count; an author a moderator trusts is
trusted (``author_trusted``) whatever ``trusted_after`` says.

Order, first match wins:

1. a banned word: ``rejected`` (``banned_word``), whoever the author, pre-moderation or not;
2. a label at or above its reject threshold: ``rejected`` (the labels) — but a trusted author's
   comment is ``held`` instead (reasons: the labels and ``trusted_author``): trust buys a human
   look, never automatic publication of what the model is near-certain about; and on a
   pre-moderated site it is ``held`` too (the labels and ``premoderation``): a human sees all;
3. a trusted author: ``approved`` (``trusted_author``), even if a hold threshold, a suspect word
   or pre-moderation would hold it;
4. a suspect word or a label at or above its hold threshold: ``held`` (``suspect_word``, labels,
   and ``premoderation`` if the site pre-moderates);
5. pre-moderation: ``held`` (``premoderation``);
6. otherwise ``approved``.

So on a pre-moderated site every held comment has ``premoderation`` among its reasons, after the
labels that would have held it anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Real
from typing import Any

from models.labels import LABELS, SPAM, Label
from moderation.storage import CommentStatus, Reason

# Used when neither the site nor the model manifest gives a hold threshold.
FALLBACK_HOLD = 0.5

# Labels rejected automatically by default, and at what score; every other label only holds.
DEFAULT_REJECT = {SPAM: 0.97, Label.SEVERE_TOXICITY: 0.95}

# Deployment-wide signals (counted by the worker) and the count at which each holds a comment.
DEFAULT_SIGNALS: dict[str, int | None] = {
    "near_duplicate": 3,
    # Off unless a site turns it on: /v1 sees the address that posted the comment, which for a
    # site whose backend posts every comment is the backend's own (every comment would count).
    "velocity_ip": None,
    # High enough for a busy thread's regular.
    "velocity_author": 10,
    # Two moderator spam rejections, not one: a single one may be a slip of the button, or name
    # a harmless domain the spam linked to look natural, or be one site's moderators' view of a
    # domain other sites' readers use; a campaign posts far more than two comments.
    "spam_domain": 2,
}

DEFAULT_POLICY: dict[str, Any] = {
    "thresholds": {label: {"hold": None, "reject": DEFAULT_REJECT.get(label)} for label in LABELS},
    "premoderation": False,
    "shadow": False,
    "unknown_language": "hold",
    "signals": DEFAULT_SIGNALS,
    "trusted_after": None,
    "rehold_after_reports": 3,
    "banned_words": [],
    "suspect_words": [],
}

Normalizer = Callable[[str], str]
# Between the words of a listed phrase: spaces, punctuation or nothing ("bad word", "bad-word").
PHRASE_GAP = r"[\W_]*"


@dataclass(frozen=True)
class Verdict:
    status: CommentStatus
    # The policy's own reasons (``Reason``), labels and signals, most decisive first.
    reasons: list[str] = field(default_factory=list)
    # The listed words or phrases found in the comment, as the site wrote them.
    words: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Author:
    """An author's earlier comments on a site: approved by a moderator, rejected by anyone."""

    approved: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class Standing:
    """What moderators set on a comment's author and thread (``moderation.settings``)."""

    banned: bool = False
    suspended: bool = False
    trusted: bool = False
    # ``author_premoderated`` and/or ``thread_premoderated``.
    premoderated: tuple[str, ...] = ()


def imposed(standing: Standing | None) -> Verdict | None:
    """The rejection a banned or suspended author gets whatever the comment says; else None."""
    if standing is not None and standing.banned:
        return Verdict(CommentStatus.REJECTED, [Reason.AUTHOR_BANNED])
    if standing is not None and standing.suspended:
        return Verdict(CommentStatus.REJECTED, [Reason.AUTHOR_SUSPENDED])
    return None


def merged(site_policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """The site's policy with every missing key taken from DEFAULT_POLICY."""
    site_policy = dict(site_policy or {})
    thresholds = {
        label: {**limits, **(site_policy.get("thresholds", {}).get(label) or {})}
        for label, limits in DEFAULT_POLICY["thresholds"].items()
    }
    for label, limits in site_policy.get("thresholds", {}).items():
        thresholds.setdefault(label, dict(limits))
    signals = {**DEFAULT_SIGNALS, **(site_policy.get("signals") or {})}
    return {**DEFAULT_POLICY, **site_policy, "thresholds": thresholds, "signals": signals}


def plain(text: str) -> str:
    """The fallback normalization (no models at hand): case and spacing only."""
    return " ".join(text.casefold().split())


@lru_cache(maxsize=256)
def word_matcher(
    words: tuple[str, ...], normalize: Normalizer
) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """One regular expression for a word list, on normalized text, and the words it has; cached.

    Each letter may repeat (normalization squeezes "stuuupid" to "stuupid"); the words of a
    phrase may be joined by spaces, punctuation or nothing; lookarounds keep whole words.
    """
    alternatives: list[str] = []
    kept: list[str] = []
    for word in words:
        tokens = normalize(word).split()
        if not tokens:
            continue
        letters = ["".join(re.escape(char) + "+" for char in token) for token in tokens]
        alternatives.append(f"(?P<w{len(kept)}>{PHRASE_GAP.join(letters)})")
        kept.append(word)
    if not alternatives:
        return None, ()
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"), tuple(kept)


def word_spans(
    normalized: str, words: Iterable[str], normalize: Normalizer
) -> list[tuple[int, int, str]]:
    """Each match of a listed word in already normalized text: (start, end, the word as listed)."""
    matcher, kept = word_matcher(tuple(words), normalize)
    if matcher is None:
        return []
    return [
        (match.start(), match.end(), kept[int(name[1:])])
        for match in matcher.finditer(normalized)
        for name, value in match.groupdict().items()
        if value is not None
    ]


def find_words(text: str, words: Iterable[str], normalize: Normalizer) -> list[str]:
    """The listed words found in ``text``, each once, in list order."""
    words = tuple(words)
    if not text or not words:
        return []
    found = {word for _, _, word in word_spans(normalize(text), words, normalize)}
    return [word for word in words if word in found]


def is_trusted(policy: Mapping[str, Any], author: Author | None) -> bool:
    needed = policy.get("trusted_after")
    return author is not None and needed is not None and author.approved - author.rejected >= needed


def over(
    scores: Mapping[str, float],
    policy: Mapping[str, Any],
    model_thresholds: Mapping[str, float],
    kind: str,
) -> list[str]:
    """The labels whose score is at or above their ``kind`` ("hold" or "reject") threshold."""
    labels = []
    for label, limits in policy["thresholds"].items():
        if label not in scores:
            continue
        limit = limits.get(kind)
        if limit is None and kind == "hold":
            limit = model_thresholds.get(label, FALLBACK_HOLD)
        if limit is not None and scores[label] >= limit:
            labels.append(label)
    return labels


def decide(
    scores: Mapping[str, float],
    site_policy: Mapping[str, Any] | None = None,
    model_thresholds: Mapping[str, float] | None = None,
    *,
    text: str = "",
    normalize: Normalizer = plain,
    author: Author | None = None,
    signals: Mapping[str, int] | None = None,
    standing: Standing | None = None,
) -> Verdict:
    """The verdict for one comment under a site's policy (the order is in the module docstring).

    ``text`` is the comment as written; ``normalize`` folds it and the word lists alike
    (the worker passes ``models.text.normalize``); ``author`` is None when the comment has no
    e-mail to recognise its author by; ``signals`` the worker's counts, ``{signal: count}``
    (a signal at or above the site's count holds, like a label at its hold threshold). In shadow
    mode the verdict is ``shadowed``.
    """
    if (rejection := imposed(standing)) is not None:
        return rejection
    if not all_finite(scores):
        return unscored()
    policy = merged(site_policy)
    verdict = enforced(
        scores, policy, model_thresholds or {}, text, normalize, author, signals, standing
    )
    return shadowed(verdict) if policy.get("shadow") else verdict


def shadowed(verdict: Verdict) -> Verdict:
    """Shadow mode: publish as if no policy ran, keeping what the policy would have done.

    A hold or a rejection becomes ``approved`` with ``shadow_held`` / ``shadow_rejected`` before
    the verdict's own reasons (and its words, for the highlights), so a site sees in the queue
    what the service would do before it enforces anything. A comment no model could score is
    not a verdict of ``decide`` (``unscored``): it is still held.
    """
    if verdict.status == CommentStatus.APPROVED:
        return verdict
    shadow = Reason.SHADOW_HELD if verdict.status == CommentStatus.HELD else Reason.SHADOW_REJECTED
    return Verdict(CommentStatus.APPROVED, [shadow, *verdict.reasons], verdict.words)


def enforced(
    scores: Mapping[str, float],
    policy: Mapping[str, Any],
    model_thresholds: Mapping[str, float],
    text: str,
    normalize: Normalizer,
    author: Author | None,
    signals: Mapping[str, int] | None = None,
    standing: Standing | None = None,
) -> Verdict:
    """The verdict the (merged) policy enforces, in the order of the module docstring."""
    standing = standing or Standing()
    rejected = over(scores, policy, model_thresholds, "reject")
    held = [
        label for label in over(scores, policy, model_thresholds, "hold") if label not in rejected
    ] + fired(policy, signals or {})
    banned = find_words(text, policy["banned_words"], normalize)
    if banned:
        return Verdict(CommentStatus.REJECTED, [Reason.BANNED_WORD, *rejected, *held], banned)
    # A moderator's pre-moderation of this author or thread outweighs trust earned by count.
    trusted = standing.trusted or (is_trusted(policy, author) and not standing.premoderated)
    trust = Reason.AUTHOR_TRUSTED if standing.trusted else Reason.TRUSTED_AUTHOR
    premoderation: list[str] = [Reason.PREMODERATION] if policy.get("premoderation") else []
    premoderation += standing.premoderated
    if rejected:
        if trusted:
            return Verdict(CommentStatus.HELD, [*rejected, *held, trust])
        if premoderation:
            return Verdict(CommentStatus.HELD, [*rejected, *held, *premoderation])
        return Verdict(CommentStatus.REJECTED, rejected + held)
    if trusted:
        return Verdict(CommentStatus.APPROVED, [trust])
    suspect = find_words(text, policy["suspect_words"], normalize)
    reasons = ([Reason.SUSPECT_WORD] if suspect else []) + held + premoderation
    if reasons:
        return Verdict(CommentStatus.HELD, reasons, suspect)
    return Verdict(CommentStatus.APPROVED, [])


def fired(policy: Mapping[str, Any], signals: Mapping[str, int]) -> list[str]:
    """The signals whose count reaches the (merged) policy's count for them, in policy order."""
    limits = policy.get("signals") or {}
    return [
        name
        for name, limit in limits.items()
        if limit is not None and signals.get(name, 0) >= limit
    ]


def word_explanations(text: str, verdict: Verdict) -> dict[str, Any]:
    """Where the listed words behind the verdict stand in the comment as written.

    Keyed ``banned_word`` or ``suspect_word`` like the reason, in the shape of the models'
    explanations, so a moderator's screen highlights both the same way. Called by the worker;
    it folds the text with the models' normalization (imported here, not at module import, so
    the web process never loads it).
    """
    if not verdict.words:
        return {}
    from models.text import normalize, normalize_with_offsets, to_original_span

    normalized, offsets = normalize_with_offsets(text)
    spans = []
    for start, end, _word in word_spans(normalized, verdict.words, normalize):
        first, last = to_original_span(offsets, start, end, text)
        spans.append({"start": first, "end": last, "text": text[first:last], "weight": 1.0})
    kind = Reason.BANNED_WORD if Reason.BANNED_WORD in verdict.reasons else Reason.SUSPECT_WORD
    return {kind: spans}


def all_finite(scores: Mapping[str, Any]) -> bool:
    """Whether every score is a finite number: NaN is below and above no threshold (every
    comparison with it is false), so a model that emits one would have its comment approved."""
    return all(
        isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
        for value in scores.values()
    )


def unread(
    language: str,
    site_policy: Mapping[str, Any] | None = None,
    *,
    text: str = "",
    normalize: Normalizer = plain,
    standing: Standing | None = None,
) -> Verdict:
    """The verdict for a comment in a language the models do not read: it is never scored.

    A banned word still rejects it (the lists are the site's own words); otherwise the site's
    ``unknown_language`` setting holds it (the default) or publishes it, either way with the
    reasons ``unscored`` and ``language:<code>`` so nobody mistakes it for a scored comment.
    """
    if (rejection := imposed(standing)) is not None:
        return rejection
    policy = merged(site_policy)
    reasons = [Reason.UNSCORED, f"language:{language}"]
    banned = find_words(text, policy["banned_words"], normalize)
    if banned:
        return Verdict(CommentStatus.REJECTED, [Reason.BANNED_WORD, *reasons], banned)
    publish = policy.get("unknown_language") == "publish"
    status = CommentStatus.APPROVED if publish else CommentStatus.HELD
    return Verdict(status, reasons)


def unscored() -> Verdict:
    """The verdict for a comment no model could score: a moderator decides (fail closed)."""
    return Verdict(CommentStatus.HELD, [Reason.UNSCORED])
