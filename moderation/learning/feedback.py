"""Moderators' decisions as labelled data, and the held-out share that judges new model versions.

Only each comment's latest moderator decision counts. It becomes labels as follows, where L is
the set of model labels (``spam``, ``toxicity``, ...) among the reasons of the comment's latest
policy verdict (what the models held or rejected it for), T the toxicity labels of L (L without
``spam``) and N the labels the moderator named when rejecting (the rejection's reasons):

- ``spam`` → ``spam = 1`` (the only decision that says spam = 1); ``not_spam`` → ``spam = 0``;
- ``approve`` → every label of L = 0 (a false alarm); with L empty (an approved comment, or one
  held ``unscored``, by pre-moderation or a word list) every label = 0 (a clean example);
- ``reject`` → N = 1 when the moderator named labels; else T = 1 (the models were right); else,
  with L empty (missed abuse: an approved comment, or one held without a model reason),
  ``toxicity = 1``. Rejecting a comment held for spam alone, naming nothing, gives no label
  (it may be spam: only a ``spam`` decision says so).

A positive toxicity label other than ``toxicity`` implies ``toxicity = 1`` (each is a kind of it).

The held-out set is the most recent :data:`HOLDOUT_SHARE` of those latest moderator decisions, by
decision time (then decision id), over every site. It is never exported for training (the
``train`` split, the default) and it is what ``moderation models register`` and ``promote``
evaluate candidates on. The boundary only moves forward as moderators decide more, so a row that
was held out when a model was trained is never in that model's training data, unless a moderator
later re-decides an older comment (its decision then moves to the recent end).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.labels import LABELS, SPAM, TOXICITY_LABELS, Label
from moderation.storage import Actor, Comment, Decision

TOXICITY: str = Label.TOXICITY.value

HOLDOUT_SHARE = 0.2
PAGE = 1000


class Split(enum.StrEnum):
    TRAIN = "train"
    HOLDOUT = "holdout"
    ALL = "all"


def feedback_labels(
    action: str, policy_reasons: list[str] | None, named: list[str] | None = None
) -> dict[str, int]:
    """The labels one moderator decision gives (see the module docstring); {} when none.

    ``named`` is the decision's own reasons: the labels a rejecting moderator named.
    """
    if action == "spam":
        return {SPAM: 1}
    if action == "not_spam":
        return {SPAM: 0}
    flagged = [reason for reason in policy_reasons or [] if reason in LABELS]
    if action == "approve":
        return dict.fromkeys(flagged or LABELS, 0)
    if action != "reject":
        return {}
    chosen = [label for label in named or [] if label in TOXICITY_LABELS]
    hostile = [label for label in flagged if label in TOXICITY_LABELS]
    if chosen:
        positives = chosen
    elif hostile:
        positives = hostile
    elif not flagged:
        positives = [TOXICITY]
    else:
        # Held for spam alone and rejected without a named label: spam or not, unknown.
        return {}
    labels = dict.fromkeys(positives, 1)
    labels[TOXICITY] = 1
    return labels


def latest_moderator_decisions() -> Any:
    """A subquery of the id of each comment's latest moderator decision."""
    return (
        select(func.max(Decision.id).label("id"))
        .where(Decision.actor == Actor.MODERATOR)
        .group_by(Decision.comment_id)
        .subquery()
    )


def holdout_boundary(session: Session) -> tuple[datetime, int] | None:
    """(decided_at, decision id) of the first held-out decision; None if nothing is held out."""
    latest = latest_moderator_decisions()
    total = session.scalar(select(func.count()).select_from(latest)) or 0
    held_out = math.ceil(total * HOLDOUT_SHARE)
    if held_out == 0:
        return None
    row = session.execute(
        select(Decision.created_at, Decision.id)
        .join(latest, Decision.id == latest.c.id)
        .order_by(Decision.created_at, Decision.id)
        .offset(total - held_out)
        .limit(1)
    ).one()
    return row[0], row[1]


def at_or_after(position: tuple[datetime, int]) -> Any:
    decided_at, decision_id = position
    return or_(
        Decision.created_at > decided_at,
        and_(Decision.created_at == decided_at, Decision.id >= decision_id),
    )


def feedback_query(
    session: Session,
    *,
    split: Split = Split.TRAIN,
    since: datetime | None = None,
    site_id: int | None = None,
) -> Select[Any]:
    """Each comment's latest moderator decision with the comment and its policy reasons."""
    latest = latest_moderator_decisions()
    latest_policy = (
        select(Decision.comment_id, func.max(Decision.id).label("id"))
        .where(Decision.actor == Actor.POLICY)
        .group_by(Decision.comment_id)
        .subquery()
    )
    verdict = aliased(Decision)
    query = (
        select(Decision, Comment, verdict.reasons)
        .join(latest, Decision.id == latest.c.id)
        .join(Comment, Comment.id == Decision.comment_id)
        .outerjoin(latest_policy, latest_policy.c.comment_id == Decision.comment_id)
        .outerjoin(verdict, verdict.id == latest_policy.c.id)
        .order_by(Decision.created_at, Decision.id)
    )
    if split is not Split.ALL:
        boundary = holdout_boundary(session)
        if boundary is None:
            if split is Split.HOLDOUT:
                query = query.where(Decision.id.is_(None))
        elif split is Split.HOLDOUT:
            query = query.where(at_or_after(boundary))
        else:
            query = query.where(~at_or_after(boundary))
    if since is not None:
        query = query.where(Decision.created_at >= since)
    if site_id is not None:
        query = query.where(Comment.site_id == site_id)
    return query


def as_row(decision: Decision, comment: Comment, reasons: list[str] | None) -> dict[str, Any]:
    """One labelled row in the format ``moderation train --feedback`` reads; labels may be {}."""
    return {
        # The comment record's fields (models.record.FIELDS), written out: the web process
        # serves these rows and does not import the models package.
        "text": comment.text,
        "name": comment.name,
        "email": comment.email,
        "url": comment.url,
        "labels": feedback_labels(decision.action, reasons, decision.reasons),
        "source": "feedback",
        "comment_id": comment.id,
        "decided_at": decision.created_at.isoformat(),
    }


def feedback_rows(
    session: Session,
    *,
    split: Split = Split.TRAIN,
    since: datetime | None = None,
    site_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> Iterator[tuple[dict[str, Any], tuple[datetime, int]]]:
    """Labelled rows oldest first, each with its position (for cursors); unlabelled ones skipped.

    Read in pages of :data:`PAGE` so that a large export does not hold every comment at once.
    """
    query = feedback_query(session, split=split, since=since, site_id=site_id)
    given = 0
    while limit is None or given < limit:
        page = query.where(after_position(after)) if after is not None else query
        results = session.execute(page.limit(PAGE)).all()
        for decision, comment, reasons in results:
            after = (decision.created_at, decision.id)
            row = as_row(decision, comment, reasons)
            if row["labels"]:
                yield row, after
                given += 1
                if limit is not None and given >= limit:
                    return
        if len(results) < PAGE:
            return


def after_position(position: tuple[datetime, int]) -> Any:
    decided_at, decision_id = position
    return or_(
        Decision.created_at > decided_at,
        and_(Decision.created_at == decided_at, Decision.id > decision_id),
    )
