"""The queue page: tabs per status with counts, the API's filters and sorts, keyset pages, and the
decisions the page's script (or a plain form) posts.

The page is listed by ``moderation.review.queue_page`` with the review API's filters, validated
by its schema, so the page and ``GET /v1/review/queue`` always list the same comments; decisions
go through ``moderation.decisions.decide_many``, as ``POST /v1/review/decisions`` does, into the
same audit log and webhook events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
from flask import abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.labels import LABELS, TOXICITY_LABELS
from moderation import watch_lists
from moderation.decisions import decide_many
from moderation.exceptions import NotFound
from moderation.http.auth import Principal
from moderation.http.scope import site_scope
from moderation.review import InvalidCursor, filtered, queue_page, status_counts
from moderation.schemas.common import ACTIONS
from moderation.schemas.review import ReviewQueueArgsSchema
from moderation.stats import model_thresholds
from moderation.storage import Comment, CommentStatus, Reason, Site, WatchList, db
from moderation.web.access import principal, safe_next, signed_in
from moderation.web.blueprint import bp
from moderation.web.figures import current_thresholds
from moderation.web.highlight import runs, span_list
from moderation.web.reasons import reason_texts
from moderation.web.workflow import card_extras

# Tab -> (status, reason): "unscored" is the held comments no model could score.
TABS: dict[str, tuple[str, str | None]] = {
    "held": (CommentStatus.HELD, None),
    "unscored": (CommentStatus.HELD, Reason.UNSCORED),
    "rejected": (CommentStatus.REJECTED, None),
    "approved": (CommentStatus.APPROVED, None),
}
# The reported queue (the API's ``queue=reported``): every status, most reports first.
REPORTED = "reported"
TAB_NAMES = (*TABS, REPORTED)
# The reasons the filter suggests beside the labels.
FILTER_REASONS = (
    Reason.BANNED_WORD,
    Reason.SUSPECT_WORD,
    Reason.PREMODERATION,
    Reason.TRUSTED_AUTHOR,
    Reason.UNSCORED,
)
FILTERS = (
    "site", "thread", "reason", "label", "min_score", "author", "q", "watch_list", "sort", "cursor",
)  # fmt: skip
# The filters behind "More filters and sort" (the search bar has the others).
MORE_FILTERS = ("site", "reason", "label", "min_score", "since", "until", "sort")
PAGE_SIZE = 25
EARLIER_COMMENTS = 3
UTC_MIDNIGHT = time(0, 0, tzinfo=UTC)


def day_start(value: str, days: int = 0) -> str:
    """An ISO date (a date input's value) as the UTC midnight that starts it (plus ``days``)."""
    day = date.fromisoformat(value) + timedelta(days=days)
    return datetime.combine(day, UTC_MIDNIGHT).isoformat()


def queue_args(raw: Any) -> tuple[str, dict[str, Any]]:
    """The tab and the API's queue arguments for the page's query string (422 page if invalid)."""
    tab = raw.get("tab", "held")
    if tab not in TAB_NAMES:
        tab = "held"
    args = {name: raw[name] for name in FILTERS if raw.get(name)}
    if tab == REPORTED:
        # The reported queue has one order of its own; the sort select does not apply.
        args["queue"] = REPORTED
        args.pop("sort", None)
    else:
        status, reason = TABS[tab]
        args["status"] = status
        if reason:
            args["reason"] = reason
    try:
        # The date inputs give days; "until" includes its day.
        if raw.get("since"):
            args["since"] = day_start(raw["since"])
        if raw.get("until"):
            args["until"] = day_start(raw["until"], days=1)
        return tab, ReviewQueueArgsSchema().load({**args, "limit": PAGE_SIZE})
    except (ValueError, ma.ValidationError) as error:
        messages = error.messages if isinstance(error, ma.ValidationError) else str(error)
        abort(422, description=f"The filters are not valid: {messages}")


def visible_sites(session: Session, who: Principal) -> list[Site]:
    query = select(Site).order_by(Site.name)
    if who.site_id is not None:
        query = query.where(Site.id == who.site_id)
    return list(session.scalars(query))


def visible_lists(session: Session, sites: list[Site]) -> list[tuple[Site, WatchList]]:
    """The watch-lists of the sites the key covers, for the selector, by site and name."""
    return [(site, row) for site in sites for row in watch_lists.lists_of(session, site.id)]


def tab_counts(session: Session, args: dict[str, Any], site_id: int | None) -> dict[str, int]:
    """Comments per tab under the same filters (the tab's own reason and queue aside)."""
    common = {k: v for k, v in args.items() if k not in ("status", "cursor", "queue", "sort")}
    if args.get("reason") == Reason.UNSCORED:
        common.pop("reason")
    by_status = status_counts(session, common, site_id)
    unscored = session.scalar(
        filtered(select(func.count()), {**common, "reason": Reason.UNSCORED}, site_id).where(
            Comment.status == CommentStatus.HELD
        )
    )
    counts = {tab: by_status.get(status, 0) for tab, (status, _) in TABS.items()}
    counts["unscored"] = unscored or 0
    counts[REPORTED] = sum(status_counts(session, {**common, "queue": REPORTED}, site_id).values())
    return counts


def earlier_comments(session: Session, comments: list[Comment]) -> dict[str, list[Comment]]:
    """Per comment id: its author's latest other comments on the site (by e-mail hash)."""
    found: dict[str, list[Comment]] = {}
    cache: dict[tuple[int, str], list[Comment]] = {}
    for comment in comments:
        if comment.author_hash is None:
            continue
        pair = (comment.site_id, comment.author_hash)
        if pair not in cache:
            cache[pair] = list(
                session.scalars(
                    select(Comment)
                    .where(Comment.site_id == pair[0], Comment.author_hash == pair[1])
                    .order_by(Comment.created_at.desc(), Comment.id.desc())
                    .limit(EARLIER_COMMENTS + len(comments))
                )
            )
        others = [c for c in cache[pair] if c.id != comment.id]
        found[comment.id] = others[:EARLIER_COMMENTS]
    return found


def card(
    comment: Comment,
    earlier: list[Comment],
    thresholds: dict[str, dict[str, float | None]],
    extras: dict[str, Any],
) -> dict[str, Any]:
    """What the template shows of one comment (``extras``: ``workflow.card_extras``'s)."""
    scores = sorted((comment.scores or {}).items(), key=lambda item: -float(item[1]))
    return {
        **extras,
        "comment": comment,
        "runs": runs(comment.text, comment.explanations),
        "spans": span_list(comment.text, comment.explanations),
        "scores": [(label, float(value)) for label, value in scores],
        "author_counts": getattr(comment, "author_counts", None),
        "earlier": earlier,
        "thread_link": web_link(comment.thread_url),
        "because": reason_texts(comment, thresholds),
        "unscored": Reason.UNSCORED in (comment.reasons or []),
    }


def web_link(url: str | None) -> str | None:
    """The URL if it is an http(s) one (the only kind the page links to)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


@bp.get("/")
@signed_in
def queue() -> str:
    session = db.session()
    who = principal()
    tab, args = queue_args(request.args)
    site_id = site_scope(session, who, args.get("site"))
    try:
        args, site_id = watch_lists.for_queue(session, args, site_id, who.can_access_site)
    except NotFound as error:
        abort(404, description=str(error))
    except watch_lists.OtherSite as error:
        abort(422, description=str(error))
    try:
        items, next_cursor = queue_page(session, args, site_id)
    except InvalidCursor as error:
        abort(422, description=str(error))
    earlier = earlier_comments(session, items)
    extras = card_extras(session, items)
    from_models = model_thresholds(session)
    thresholds = {
        site_id: current_thresholds(policy, from_models)
        for site_id, policy in {c.site_id: c.site.policy for c in items}.items()
    }
    query: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
    sites = visible_sites(session, who)
    return render_template(
        "queue.html",
        tab=tab,
        tabs=list(TAB_NAMES),
        counts=tab_counts(session, args, site_id),
        cards=[
            card(
                comment,
                earlier.get(comment.id, []),
                thresholds[comment.site_id],
                extras[comment.id],
            )
            for comment in items
        ],
        filters=request.args,
        sites=sites,
        watch_lists=visible_lists(session, sites),
        labels=LABELS,
        reasons=FILTER_REASONS,
        # A form sends its empty fields too: only a value opens "More filters" or shows "Clear".
        more_open=any(request.args.get(name) not in (None, "", "newest") for name in MORE_FILTERS),
        filtered=any(v for k, v in request.args.items() if k not in ("tab", "cursor")),
        next_url=url_for("moderate.queue", **query, cursor=next_cursor) if next_cursor else None,
        first_url=url_for("moderate.queue", **query) if "cursor" in args else None,
        status=args.get("status", ""),
        actions=ACTIONS,
    )


def decision_request() -> dict[str, Any]:
    """The decision a script (JSON) or a plain form posted: ids, action, reason, expected status,
    and the labels a rejection names (``labels``, as in ``POST /v1/review/decisions``)."""
    if request.is_json:
        body = request.get_json(silent=True) or {}
        ids = body.get("ids")
        labels = body.get("labels") or []
    else:
        body = request.form
        ids = request.form.getlist("ids")
        # One select per form; its empty option means "name nothing".
        labels = [label for label in request.form.getlist("labels") if label]
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 500
        or not all(isinstance(item, str) for item in ids)
    ):
        abort(422, description="Choose at least one comment (at most 500).")
    if body.get("action") not in ACTIONS:
        abort(422, description=f"The action must be one of {', '.join(ACTIONS)}.")
    reason = body.get("reason") or None
    if reason is not None and (
        not isinstance(reason, str) or len(reason) > 1000 or "\x00" in reason
    ):
        abort(422, description="The reason must be text of at most 1000 characters.")
    expected = body.get("expected_status") or None
    if expected is not None and expected not in list(CommentStatus):
        abort(422, description="Unknown expected status.")
    if not isinstance(labels, list) or not all(label in TOXICITY_LABELS for label in labels):
        abort(422, description=f"The labels must be among {', '.join(TOXICITY_LABELS)}.")
    if labels and body["action"] != "reject":
        abort(422, description="Only a rejection names labels.")
    return {
        "ids": ids,
        "action": body["action"],
        "reason": reason,
        "expected_status": expected,
        "labels": labels,
    }


@bp.post("/decisions")
@signed_in
def decisions() -> Any:
    """Apply one action to the chosen comments, as ``POST /v1/review/decisions`` does."""
    wanted = decision_request()
    session = db.session()
    who = principal()
    results = decide_many(
        session,
        wanted["ids"],
        wanted["action"],
        key_id=who.key_id,
        note=wanted["reason"],
        expected_status=wanted["expected_status"],
        covers=who.can_access_site,
        labels=wanted["labels"],
    )
    session.commit()
    if request.is_json:
        return jsonify({"results": results})
    return redirect(safe_next(request.form.get("next")), code=303)
