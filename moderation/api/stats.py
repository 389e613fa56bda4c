"""Figures for moderators (``GET /v1/stats``); the definitions are in ``moderation.stats``."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from moderation.http.auth import authenticate
from moderation.http.scope import site_scope
from moderation.review import filtered
from moderation.schemas.stats import StatsArgsSchema, StatsSchema
from moderation.stats import stats
from moderation.storage import Role, db

blp = Blueprint("stats", __name__, url_prefix="/v1/stats", description="Moderation figures")


@blp.route("")
class Stats(MethodView):
    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Volumes by status and reason, the oldest held comment, and overturn rates.

        Over the comments created in [``since``, ``until``) on the sites the key covers (or the
        ``site`` named). ``automatic`` tells, per verdict and per reason (each label and the
        policy's own reasons), how many automatic verdicts there were, how many a moderator
        reviewed and how many the moderator overturned: held or rejected, then approved;
        approved, then rejected. ``overturn_rate`` is overturned / reviewed.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        site_id = site_scope(session, principal, args.get("site"))
        window: dict[str, Any] = {key: args[key] for key in ("since", "until") if key in args}
        figures = stats(session, partial(filtered, args=window, site_id=site_id))
        return {**figures, "site": args.get("site"), **dict.fromkeys(("since", "until")), **window}
