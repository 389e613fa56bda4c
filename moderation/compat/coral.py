"""Coral Talk's external moderation phase and its moderation webhooks, for one site each.

Two endpoints, both signed by Coral (``X-Coral-Signature``, see ``coral_protocol``) with a secret
stored for the site (``moderation coral secrets add --site S``), named by ``?site=S`` in the URL
configured in Coral:

- ``POST /v1/integrations/coral/moderate``: the external moderation phase. The comment is stored
  as a submission (body as text, links kept as text; the story as the thread, the author's Coral
  id as the name), scored by the workers under the site's policy, and the verdict is answered in
  Coral's shape: 204 (no action) or 200 with a top-level ``status`` (and ``actions`` flags);
  a comment on a story a moderator closed is answered ``REJECTED`` and not stored.
  The answer comes within the phase's time budget: ``?timeout=<ms>`` names the timeout set for
  the phase in Coral (default 200, Coral's own default), and a verdict not ready
  ``MARGIN_MS`` before it is answered ``SYSTEM_WITHHELD`` (fail closed: Coral publishes what
  times out).
- ``POST /v1/integrations/coral/events``: Coral's webhook. Events that carry a new comment's id
  link it to the stored comment; ``COMMENT_LEFT_MODERATION_QUEUE`` with status
  APPROVED/REJECTED is a Coral moderator's decision, applied to the linked comment unless it is
  a replay (``coral_links``); a comment entering Coral's ``REPORTED`` queue is a reader's
  report on it; other events are acknowledged and ignored.

Success answers are Coral's. Coral defines no error body (any non-2xx is a failure to it), so
errors here (401 bad signature, 400 unreadable body, 422 bad body) use the ``/v1`` JSON error
shape. Coral publishes whatever a failed phase call was about, so input that can be judged is
judged: a comment body's NULs and unpaired surrogates are cleaned rather than refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, request
from flask_smorest import abort
from sqlalchemy import select

from moderation.compat import coral_links
from moderation.compat import coral_protocol as wire
from moderation.compat.coral_secrets import live_secrets
from moderation.compat.guards import BadInput, bad_string, clean_text, load_json, web_url
from moderation.compat.markup import html_to_text
from moderation.compat.observe import FAILED_CLOSED, TIMEOUT, note, observe
from moderation.storage import Reason, Site, db
from moderation.submissions import Submission, ThreadClosed, submit, wait_for_verdict

T = TypeVar("T")

blp = Blueprint("coral", __name__, url_prefix="/v1/integrations/coral")

observe(blp)

# Coral's default external-phase timeout (its admin form's), in ms, and its accepted range.
DEFAULT_TIMEOUT_MS = 200
TIMEOUT_RANGE_MS = (100, 10_000)
# What the answer itself needs before Coral's timeout: the network and Coral's own parsing.
MARGIN_MS = 50


def signed_body() -> tuple[Site, Any]:
    """The site named by ``?site=`` and the parsed body, once the signature checked out."""
    name = request.args.get("site", "")
    site = db.session().scalar(select(Site).where(Site.name == name)) if name else None
    raw = request.get_data(cache=True)
    secrets_ = live_secrets(db.session(), site.id, current_app.config["SECRET_KEY"]) if site else []
    # An unknown site and a bad signature look alike from outside: both 401.
    if not wire.verify(request.headers.get(wire.SIGNATURE_HEADER), raw, secrets_):
        abort(401, message="The request is not signed with a signing secret of this site.")
    try:
        body = load_json(raw)
    except BadInput as error:
        abort(400, message=str(error))
    assert site is not None
    return site, body


def parsed(parse: Callable[[Any], T], body: Any, what: str) -> T:
    """``parse(body)``, or 422 naming what the body is not.

    A string that cannot be stored (NUL, unpaired surrogate) outside the comment's body is 422;
    the body itself is cleaned by the caller, so the comment is still judged.
    """
    fields = dict(body) if isinstance(body, dict) else body
    if isinstance(fields, dict) and isinstance(fields.get("comment"), dict):
        fields["comment"] = {k: v for k, v in fields["comment"].items() if k != "body"}
    if (problem := bad_string(fields)) is not None:
        abort(422, message=f"Not a Coral {what}: {problem}.")
    try:
        return parse(body)
    except wire.CoralRequestError as error:
        abort(422, message=f"Not a Coral {what}: {error}.")


def no_content() -> Response:
    return Response(status=204)


@blp.post("/moderate")
def moderate() -> Response:
    """Coral's external moderation phase: our verdict as Coral's moderation action."""
    started = time.monotonic()
    site, body = signed_body()
    coral = parsed(wire.parse_request, body, "moderation request")
    text = html_to_text(clean_text(coral.body))
    if not text:
        return no_content()
    submission = Submission(
        text=text,
        name=(coral.author_id or "")[:100],
        client_id=coral.client_id,
        thread_id=coral.story_id,
        thread_url=web_url(coral.story_url),
        parent_id=coral.parent_id,
    )
    session = db.session()
    try:
        comment, _ = submit(session, site, submission)
    except ThreadClosed:
        return jsonify(wire.closed_answer())
    # The budget counts from the request's start: storing the comment spends it too.
    spent_ms = int((time.monotonic() - started) * 1000)
    comment = wait_for_verdict(session, comment, max(0, budget_ms() - spent_ms))
    answer = wire.moderation_answer(comment.status, list(comment.reasons or []))
    if comment.status == "pending":
        note(TIMEOUT, FAILED_CLOSED)
    elif Reason.UNSCORED in (comment.reasons or []):
        note(FAILED_CLOSED)
    if answer is None:
        return no_content()
    response = jsonify(answer)
    response.headers["X-Moderation-Comment"] = comment.id
    return response


def budget_ms() -> int:
    """How long the phase may wait for a verdict: Coral's timeout less ``MARGIN_MS``.

    ``?timeout=`` is the timeout configured for the phase in Coral (ms); never beyond
    ``WAIT_MAX_MS``.
    """
    try:
        timeout = int(request.args.get("timeout", DEFAULT_TIMEOUT_MS))
    except ValueError:
        abort(422, message="timeout must be Coral's phase timeout in milliseconds.")
    low, high = TIMEOUT_RANGE_MS
    timeout = min(high, max(low, timeout))
    return max(0, min(current_app.config["WAIT_MAX_MS"], timeout - MARGIN_MS))


@blp.post("/events")
def events() -> Response:
    """Coral's webhook: new comments are linked, and a moderator's decision in Coral is ours."""
    site, body = signed_body()
    event = parsed(wire.parse_event, body, "event")
    if event is None:
        return no_content()
    session = db.session()
    if event.action is None:
        coral_links.link(session, site, event)
        if event.is_report:
            coral_links.report(session, site, event, current_app.config["SECRET_KEY"])
    else:
        coral_links.decide(session, site, event)
    return no_content()
