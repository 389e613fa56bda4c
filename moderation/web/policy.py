"""The site-policy page (admins): thresholds per label with the share of the last 7 days' comments
each would have held or rejected, pre-moderation, trusted authors, word lists and shadow mode.

A saved form goes through ``moderation.sites.change_policy``, as ``PUT /v1/sites/<site>/policy``
does: the same validation and the same audit row (actor ``web key <prefix>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from models.labels import LABELS
from moderation.http.scope import visible_site
from moderation.policy import FALLBACK_HOLD, merged
from moderation.sites import change_policy
from moderation.stats import model_thresholds
from moderation.storage import ApiKey, Site, db, utcnow
from moderation.web.access import admin_only, principal
from moderation.web.blueprint import bp
from moderation.web.figures import score_bins, shares
from moderation.web.queue_page import visible_sites

PREVIEW_DAYS = 7


def number(raw: str | None) -> float | str | None:
    """A threshold field: empty is None (the default); anything else goes to the schema as is,
    so that "abc" is refused with the schema's message rather than silently dropped."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


def words(raw: str | None) -> list[str]:
    """One word or phrase per line; blank lines dropped."""
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


def policy_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The whole policy the form describes (it shows every key, so it replaces the policy)."""
    trusted = (form.get("trusted_after") or "").strip()
    # Plain ASCII digits only, and few: "²" passes isdigit() but int() raises on it, as on
    # 5,000 digits; anything else goes to the schema as text, which refuses it (422).
    plain = trusted.isascii() and trusted.isdigit() and len(trusted) <= 9
    return {
        "thresholds": {
            label: {
                "hold": number(form.get(f"hold_{label}")),
                "reject": number(form.get(f"reject_{label}")),
            }
            for label in LABELS
        },
        "premoderation": form.get("premoderation") == "on",
        "shadow": form.get("shadow") == "on",
        "trusted_after": (int(trusted) if plain else trusted) if trusted else None,
        "banned_words": words(form.get("banned_words")),
        "suspect_words": words(form.get("suspect_words")),
    }


def error_text(errors: Mapping[str, Any], *path: str) -> str | None:
    """The schema's messages at ``path`` of its nested errors, joined; None if there are none."""
    found: Any = errors
    for part in path:
        found = found.get(part) if isinstance(found, Mapping) else None
        if found is None:
            return None
    if isinstance(found, Mapping):
        return "; ".join(f"{key}: {error_text(found, key)}" for key in found)
    if isinstance(found, list):
        return " ".join(str(item) for item in found)
    return str(found)


def as_threshold(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def render_policy(
    site: Site,
    errors: dict[str, Any] | None = None,
    draft: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """The page; after a refused save, ``draft`` (what was sent) is shown with the errors."""
    session = db.session()
    from_models = model_thresholds(session)
    effective = draft if draft is not None else merged(site.policy)
    total, bins = score_bins(session, site.id, utcnow() - timedelta(days=PREVIEW_DAYS), LABELS)
    rows = []
    for label in LABELS:
        limits = effective["thresholds"].get(label, {})
        model_hold = from_models.get(label)
        # What decide() uses when the site leaves the hold to the model.
        default_hold = model_hold if model_hold is not None else FALLBACK_HOLD
        hold = limits.get("hold")
        rows.append(
            {
                "label": label,
                "hold": hold,
                "reject": limits.get("reject"),
                "model_hold": model_hold,
                "preview": shares(
                    total,
                    bins[label],
                    as_threshold(hold) if hold is not None else default_hold,
                    as_threshold(limits.get("reject")),
                ),
            }
        )
    return (
        render_template(
            "policy.html",
            site=site,
            sites=visible_sites(session, principal()),
            rows=rows,
            policy=effective,
            total=total,
            bins={"total": total, "labels": bins},
            days=PREVIEW_DAYS,
            errors=errors or {},
            error_for=partial(error_text, errors or {}),
            fallback_hold=FALLBACK_HOLD,
        ),
        status,
    )


@bp.get("/sites/<name>/policy")
@admin_only
def policy_page(name: str) -> Any:
    return render_policy(visible_site(db.session(), principal(), name))


@bp.post("/sites/<name>/policy")
@admin_only
def save_policy(name: str) -> Any:
    site = visible_site(db.session(), principal(), name)
    session = db.session()
    key = session.get(ApiKey, principal().key_id)
    actor = f"web key {key.prefix}" if key is not None else "web"
    draft = policy_from_form(request.form)
    try:
        change_policy(session, site, draft, actor, principal().key_id)
    except ma.ValidationError as error:
        session.rollback()
        # A schema's ValidationError holds a dict of messages (a list only for a bare field's).
        return render_policy(site, errors=error.messages, draft=draft, status=422)  # type: ignore[arg-type]
    session.commit()
    flash("Policy saved.")
    return redirect(url_for("moderate.policy_page", name=site.name), code=303)


@bp.get("/sites")
@admin_only
def sites_page() -> Any:
    sites = visible_sites(db.session(), principal())
    if len(sites) == 1:
        return redirect(url_for("moderate.policy_page", name=sites[0].name))
    return render_template("sites.html", sites=sites)
