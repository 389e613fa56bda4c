"""Akismet's account calls, as the WordPress plugin reads them: ``get-subscription``, ``get-stats``.

The plugin decodes each answer as a JSON object (anything else shows as "existing-key-invalid",
or no stats): ``get-subscription`` → ``{status, account_name, account_type}``, where ``active``
is what lets the plugin save the key; ``get-stats`` → ``{spam, ham, missed_spam,
false_positives, accuracy, time_saved, breakdown}`` over ``from`` (``6-months``, ``60-days`` or
``all``). There is no subscription here: a self-hosted site is always ``active``.

The figures, from the site's comments created in the period and the moderators' decisions:
``spam`` rejected comments; ``ham`` approved ones; ``missed_spam`` comments the policy approved
that a moderator then called spam or rejected; ``false_positives`` comments the policy held or
rejected that a moderator approved; ``accuracy`` the share of automatic verdicts no moderator
reversed, in percent; ``time_saved`` an estimate (seconds): ``SECONDS_PER_COMMENT`` per comment
decided without a moderator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.storage import Actor, Comment, CommentStatus, Decision, Site, utcnow

PERIODS = {"6-months": timedelta(days=183), "60-days": timedelta(days=60), "all": None}
# What a moderator spends reading a comment, for the plugin's "time saved".
SECONDS_PER_COMMENT = 10
REVERSED_SPAM = ("spam", "reject")
REVERSED_HOLD = ("approve", "not_spam")


def subscription(site: Site) -> dict[str, Any]:
    """An always-active account named after the site."""
    return {"status": "active", "account_name": site.name, "account_type": "self-hosted"}


def period_start(period: str | None) -> datetime | None:
    span = PERIODS.get(period or "all")
    return utcnow() - span if span is not None else None


def account_stats(session: Session, site: Site, period: str | None) -> dict[str, Any]:
    """The plugin's figures for ``site`` since ``period`` began (see the module docstring)."""
    since = period_start(period)
    in_period = [Comment.site_id == site.id]
    if since is not None:
        in_period.append(Comment.created_at >= since)
    statuses = dict(
        session.execute(
            select(Comment.status, func.count()).where(*in_period).group_by(Comment.status)
        ).all()
    )
    automatic = session.scalar(
        select(func.count()).where(*in_period, Comment.decided_by == Actor.POLICY)
    )
    moderator = (
        select(Decision.from_status, Decision.action, func.count(Decision.comment_id.distinct()))
        .join(Comment, Comment.id == Decision.comment_id)
        .where(*in_period, Decision.actor == Actor.MODERATOR)
        .group_by(Decision.from_status, Decision.action)
    )
    missed = reversed_holds = 0
    for from_status, action, count in session.execute(moderator):
        if from_status == CommentStatus.APPROVED and action in REVERSED_SPAM:
            missed += count
        elif from_status in (CommentStatus.HELD, CommentStatus.REJECTED) and (
            action in REVERSED_HOLD
        ):
            reversed_holds += count
    decided = (automatic or 0) + missed + reversed_holds
    accuracy = 100.0 if decided == 0 else 100.0 * (1 - (missed + reversed_holds) / decided)
    return {
        "spam": statuses.get(CommentStatus.REJECTED, 0),
        "ham": statuses.get(CommentStatus.APPROVED, 0),
        "missed_spam": missed,
        "false_positives": reversed_holds,
        "accuracy": round(accuracy, 2),
        "time_saved": (automatic or 0) * SECONDS_PER_COMMENT,
        "breakdown": [],
    }
