"""Coral Talk's external moderation phase and its moderation webhooks, for one site each.

Two endpoints, both signed by Coral (``X-Coral-Signature``, see ``coral_protocol``) with a secret
stored for the site (``moderation coral secrets add --site S``), named by ``?site=S`` in the URL
configured in Coral:

- ``POST /v1/integrations/coral/moderate``: the external moderation phase. The comment is stored
  as a submission (body as text, Coral's comment id as the client id ``comment:<id>``, the story
  as the thread), scored by the workers under the site's policy, and the verdict is answered in
  Coral's shape: 204 (no action) or 200 with ``moderationAction`` (and ``actions`` flags).
- ``POST /v1/integrations/coral/events``: Coral's webhook. ``COMMENT_LEFT_MODERATION_QUEUE`` with
  status APPROVED/REJECTED is a Coral moderator's decision: recorded as one (feedback for
  learning) on the comment with that client id; other events are acknowledged and ignored.

Success answers are Coral's. Coral defines no error body (any non-2xx is a failure to it), so
errors here (401 bad signature, 404 unknown site, 422 bad body) use the ``/v1`` JSON error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify, request
from flask_smorest import abort
from sqlalchemy import select

from moderation.compat import coral_protocol as wire
from moderation.compat.coral_secrets import live_secrets
from moderation.compat.markup import html_to_text
from moderation.compat.submissions import find_comment, record_feedback
from moderation.storage import Site, db
from moderation.submissions import Submission, submit_and_wait

T = TypeVar("T")

blp = Blueprint("coral", __name__, url_prefix="/v1/integrations/coral")


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
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        abort(400, message="The body is not valid JSON.")
    assert site is not None
    return site, body


def parsed(parse: Callable[[Any], T], body: Any, what: str) -> T:
    """``parse(body)``, or 422 naming what the body is not."""
    try:
        return parse(body)
    except wire.CoralRequestError as error:
        abort(422, message=f"Not a Coral {what}: {error}.")


def no_content() -> Response:
    return Response(status=204)


@blp.post("/moderate")
def moderate() -> Response:
    """Coral's external moderation phase: our verdict as Coral's moderation action."""
    site, body = signed_body()
    coral = parsed(wire.parse_request, body, "moderation request")
    text = html_to_text(coral.body)
    if not text:
        return no_content()
    submission = Submission(
        text=text,
        name=(coral.author_id or "")[:100],
        client_id=coral.client_id,
        thread_id=coral.story_id,
        thread_url=coral.story_url,
        parent_id=coral.parent_id,
    )
    comment = submit_and_wait(db.session(), site, submission)
    answer = wire.moderation_answer(comment.status, list(comment.reasons or []))
    if answer is None:
        return no_content()
    response = jsonify(answer)
    response.headers["X-Moderation-Comment"] = comment.id
    return response


@blp.post("/events")
def events() -> Response:
    """Coral's webhook: a moderator's decision in Coral is one here too."""
    site, body = signed_body()
    event = parsed(wire.parse_event, body, "event")
    if event is None:
        return no_content()
    session = db.session()
    comment = find_comment(session, site.id, client_id=event.client_id)
    record_feedback(
        session,
        site,
        event.action,
        source="coral:" + next(iter(wire.DECISION_EVENTS)),
        key_id=None,
        comment=comment,
    )
    return no_content()
