"""Deployment-wide spam signals, counted with the database for one comment being scored.

The pure parts (fingerprints, link domains, reason strings) are ``models.signals``; here are the
queries. Each reads a bounded window through an index, so a signal costs the worker one indexed
range scan per comment, not a scan of the table: the near-duplicate count reads at most
``CANDIDATES`` fingerprints of the last ``WINDOW_SECONDS`` from ``ix_comments_created_fingerprint``
and compares them in Python (a popcount each); the spam-domain count reads
``ix_spam_domains_domain_created`` once for the comment's domains, and not at all for a comment
without links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import signals
from moderation.storage import Comment, SpamDomain

# Look-back window of every signal, and the most fingerprints one comment is compared with.
WINDOW_SECONDS = 3600
CANDIDATES = 5000
# Look-back window of the velocity signals: a burst, not a regular's day.
VELOCITY_SECONDS = 600
# Look-back window of the spam-domain signal: campaigns reuse a domain for months, and a domain
# that changed hands stops counting after a season.
SPAM_DOMAIN_SECONDS = 90 * 86400


@dataclass(frozen=True)
class Counts:
    """What the signals counted for one comment: ``{signal: count}`` and their explanations."""

    counts: dict[str, int] = field(default_factory=dict)
    explained: dict[str, str] = field(default_factory=dict)


def near_duplicates(session: Session, comment: Comment) -> tuple[int, int]:
    """Store the comment's fingerprint; (recent comments of OTHER sites with its text, sites).

    Across sites only: a campaign posts one text on many sites, which only the deployment sees;
    copies on the comment's own site are its moderators' to see (and the velocity signals'),
    and a site's own readers repeat short thanks innocently. Whether the copies are independent
    evidence (enough other sites) is ``models.signals.duplicate_signal``'s to say.
    """
    comment.fingerprint = signals.fingerprint(comment.text)
    if comment.fingerprint is None:
        return 0, 0
    since = comment.created_at - timedelta(seconds=WINDOW_SECONDS)
    rows = session.execute(
        select(Comment.fingerprint, Comment.site_id)
        .where(
            Comment.created_at >= since,
            Comment.created_at <= comment.created_at,
            Comment.fingerprint.is_not(None),
            Comment.site_id != comment.site_id,
        )
        .order_by(Comment.created_at.desc())
        .limit(CANDIDATES)
    ).all()
    sites = [site for fp, site in rows if signals.is_near_duplicate(comment.fingerprint, fp)]
    return len(sites), len(set(sites))


def store_link_domains(comment: Comment) -> list[str]:
    """Find and store the domains of the comment's links that the spam-domain signal counts.

    Stored so that a moderator's spam rejection can record them later without the web process
    reading links (``moderation.rejected_domains``); the site's own origins are left out.
    """
    origins = comment.site.origins if comment.site is not None else []
    domains = signals.counted_domains(comment.text, comment.url, origins or [])
    comment.link_domains = domains or None
    return domains


def spam_domains(session: Session, comment: Comment) -> tuple[str, int] | None:
    """Store the comment's counted link domains; its most rejected one and that count, or None.

    The count is of distinct comments a moderator rejected as spam in the last
    ``SPAM_DOMAIN_SECONDS`` that linked the domain (``spam_domains`` rows, one per comment and
    domain), on any site. One query for a comment with links, none without.
    """
    domains = store_link_domains(comment)
    if not domains:
        return None
    since = comment.created_at - timedelta(seconds=SPAM_DOMAIN_SECONDS)
    counts = dict(
        session.execute(
            select(SpamDomain.domain, func.count())
            .where(
                SpamDomain.domain.in_(domains),
                SpamDomain.created_at >= since,
                SpamDomain.comment_id != comment.id,
            )
            .group_by(SpamDomain.domain)
        ).all()
    )
    if not counts:
        return None
    # The most rejected domain, the first linked among equals.
    top = max(domains, key=lambda domain: counts.get(domain, 0))
    return top, counts[top]


def velocity(session: Session, comment: Comment, column: Any) -> int:
    """Comments of the last ``VELOCITY_SECONDS`` with the comment's ``column`` value, it included.

    ``column`` is ``Comment.ip_hash`` or ``Comment.author_hash`` (indexed with ``created_at``);
    0 when the comment has no value there (no address kept, no e-mail given).
    """
    value = getattr(comment, column.key)
    if value is None:
        return 0
    since = comment.created_at - timedelta(seconds=VELOCITY_SECONDS)
    return (
        session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(
                column == value,
                Comment.created_at >= since,
                Comment.created_at <= comment.created_at,
            )
        )
        or 0
    )


def count_signals(session: Session, comment: Comment, limits: dict[str, int | None]) -> Counts:
    """Every signal's count for ``comment``, and the explanation of each that reaches its limit.

    ``limits`` is the site's merged ``signals`` policy; the verdict itself is the policy's
    (``moderation.policy.fired``), the explanation only words the count.
    """
    matches, sites = near_duplicates(session, comment)
    # Copies from fewer than DUPLICATE_SITES other sites are one poster's word: they count for
    # nothing, in the policy's input as in the explanation (docs/security.md).
    independent = matches if sites >= signals.DUPLICATE_SITES else 0
    counts: dict[str, int] = {signals.SignalKind.NEAR_DUPLICATE: independent}
    explained: dict[str, str] = {}
    limit = limits.get(signals.SignalKind.NEAR_DUPLICATE)
    if limit is not None:
        signal = signals.duplicate_signal(matches, sites, WINDOW_SECONDS, min_matches=limit)
        if signal is not None:
            explained[signal.kind] = signal.reason
    rejected = spam_domains(session, comment)
    counts[signals.SignalKind.SPAM_DOMAIN] = rejected[1] if rejected else 0
    limit = limits.get(signals.SignalKind.SPAM_DOMAIN)
    if rejected is not None and limit is not None:
        domain, count = rejected
        fired = signals.spam_domain_signal(domain, count, SPAM_DOMAIN_SECONDS, min_rejected=limit)
        if fired is not None:
            explained[fired.kind] = fired.reason
    for kind, column in (
        (signals.SignalKind.VELOCITY_IP, Comment.ip_hash),
        (signals.SignalKind.VELOCITY_AUTHOR, Comment.author_hash),
    ):
        counts[kind] = velocity(session, comment, column)
        limit = limits.get(kind)
        if limit is not None:
            # models.signals fires above its limit; the policy's count is "at or above".
            fired = signals.velocity_signal(kind, counts[kind], VELOCITY_SECONDS, limit - 1)
            if fired is not None:
                explained[kind] = fired.reason
    return Counts(counts, explained)


def explanations(counts: Counts) -> dict[str, list[dict[str, object]]]:
    """The fired signals in the shape of the models' explanations: one span, the whole reason.

    A signal is about the comment as a whole, not words in it, so its span is empty
    (``start == end == 0``) and ``reason`` says what was seen.
    """
    return {
        name: [{"start": 0, "end": 0, "text": "", "weight": 1.0, "reason": reason}]
        for name, reason in counts.explained.items()
    }
