"""The stats page: volumes, the oldest held comment, overturn rates per verdict and reason (a
table and an inline SVG chart drawn on the server), per moderator (decisions by action, theirs
others overturned, verdicts they overturned) and the thresholds those rates suggest raising.

The figures are ``moderation.stats.stats``, the same as ``GET /v1/stats``, over the same scope.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from flask import render_template, request

from moderation.http.scope import site_scope
from moderation.review import filtered
from moderation.stats import model_thresholds, stats
from moderation.storage import Site, db, utcnow
from moderation.web.access import principal, signed_in
from moderation.web.blueprint import bp
from moderation.web.figures import (
    CHART_WIDTH,
    bars,
    current_thresholds,
    suggestions,
)
from moderation.web.queue_page import visible_sites

# The periods the page offers, in days (None: everything stored).
PERIODS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "all": None}


@bp.get("/stats")
@signed_in
def stats_page() -> str:
    session = db.session()
    who = principal()
    site_id = site_scope(session, who, request.args.get("site") or None)
    period = request.args.get("days", "30")
    if period not in PERIODS:
        period = "30"
    days = PERIODS[period]
    window: dict[str, Any] = {"since": utcnow() - timedelta(days=days)} if days else {}
    scope = partial(filtered, args=window, site_id=site_id)
    figures = stats(session, scope)
    site = session.get(Site, site_id) if site_id is not None else None
    return render_template(
        "stats.html",
        figures=figures,
        bars=bars(figures["automatic"]["by_reason"]),
        chart_width=CHART_WIDTH,
        suggestions=suggestions(session, scope),
        # The thresholds in force, when one site is shown (each site has its own).
        thresholds=current_thresholds(site.policy, model_thresholds(session)) if site else None,
        site=site,
        sites=visible_sites(session, who),
        period=period,
        periods=list(PERIODS),
    )
