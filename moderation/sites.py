"""Sites and their policies: lookup, validated policy changes, and the audit row of each change.

The admin API and the ``moderation sites`` commands both change policies through
``change_policy``, so every change, whoever makes it, is validated the same way and leaves a
``PolicyChange`` row (who, when, the old and the new policy) in the same transaction.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.exceptions import NotFound
from moderation.schemas.sites import PolicySchema
from moderation.storage import PolicyChange, Site


def find_site(session: Session, name: str) -> Site:
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise NotFound(f"no site named {name!r}")
    return site


def patched(policy: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``policy`` with ``patch`` applied (thresholds merge per label and limit)."""
    result = copy.deepcopy(policy)
    for key, value in patch.items():
        if key == "thresholds":
            thresholds = result.setdefault("thresholds", {})
            for label, limits in value.items():
                thresholds[label] = {**thresholds.get(label, {}), **limits}
        else:
            result[key] = value
    return result


def change_policy(
    session: Session, site: Site, policy: dict[str, Any], actor: str, key_id: int | None = None
) -> PolicyChange:
    """Replace the site's policy after validating it; raises marshmallow's ValidationError."""
    new = PolicySchema().load(policy)
    change = PolicyChange(
        site_id=site.id, key_id=key_id, actor=actor, old=dict(site.policy or {}), new=new
    )
    site.policy = new
    session.add(change)
    session.flush()
    return change


def policy_changes(session: Session, site: Site, limit: int = 100) -> list[PolicyChange]:
    """The site's policy changes, newest first."""
    return list(
        session.scalars(
            select(PolicyChange)
            .where(PolicyChange.site_id == site.id)
            .order_by(PolicyChange.created_at.desc(), PolicyChange.id.desc())
            .limit(limit)
        )
    )
