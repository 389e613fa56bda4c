"""Akismet REST API 1.1 (and 1.2's usage-limit): the views, for WordPress, Discourse, Coral, ...

A plain Flask blueprint, not a flask-smorest one: the answers are Akismet's plain text, byte for
byte, and errors are Akismet's too (``invalid``, ``X-akismet-*`` headers), never the ``/v1`` JSON
error shape; see ``akismet_protocol``. The key is an Akismet key of a site (12 characters,
``moderation keys create --site S --role akismet``), sent as ``api_key`` (or ``key`` for
verify-key) or as the first label of the Host (``KEY.rest.example.org``); ``blog`` must be one
of the site's origins. Bodies may be form-encoded (the Akismet way) or JSON (Coral's
submit-spam/submit-ham, which have no ``blog``).

comment-check stores the comment and waits for the worker's verdict (``submissions``); what is
stored: the text, author name, e-mail and URL, the permalink as the thread, the parent, user agent
and referrer, and the reader's IP (``user_ip``) as a keyed hash. The test triggers are answered
without storing anything; so is a filled honeypot field (a bot: ``true`` with ``discard``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from moderation.compat import akismet_protocol as wire
from moderation.compat.akismet_account import account_stats, subscription
from moderation.compat.guards import BadInput, bad_string, load_json, origin_allowed, web_url
from moderation.compat.markup import html_to_text
from moderation.compat.observe import observe
from moderation.compat.submissions import answer_headers, find_comment, is_unscored, record_feedback
from moderation.http.cors import normalize_origin
from moderation.http.limits import find_keys_with, retry_after_seconds
from moderation.keys import find_key
from moderation.storage import ApiKey, Comment, CommentStatus, Role, db, utcnow
from moderation.submissions import THREAD_CLOSED, Submission, ThreadClosed, submit_and_wait

logger = logging.getLogger(__name__)

blp = Blueprint("akismet", __name__)

observe(blp, unavailable_fails_closed=True)

FEEDBACK_ACTIONS = {"submit-spam": "spam", "submit-ham": "not_spam"}


def respond(answer: wire.Answer, extra: Mapping[str, str] | None = None) -> Response:
    body, status, headers = answer
    return Response(body, status=status, headers={**headers, **(extra or {})})


def request_call() -> wire.Call | None:
    """The request's fields, from a form or a JSON object; None if the body is neither."""
    if request.mimetype == "application/json":
        try:
            data = load_json(request.get_data(cache=True))
        except BadInput:
            return None
        if not isinstance(data, dict) or bad_string(data) is not None:
            return None
        return wire.parse_call(data)
    values = request.form if request.method == "POST" else request.args
    return wire.parse_call(
        {name: values.get(name) for name in values}, {name: values.getlist(name) for name in values}
    )


def presented_key(session: Session, call: wire.Call, *names: str) -> ApiKey | None:
    """The live Akismet key in ``names`` (first found) or in the Host; None if none is valid."""
    plaintext = next((call.get(name) for name in names if call.get(name)), None)
    plaintext = plaintext or wire.host_key(request.host)
    if not plaintext or not wire.KEY_FORMAT.fullmatch(plaintext.strip()):
        return None
    key = find_key(session, plaintext.strip())
    if key is None or key.role != Role.AKISMET or key.site is None:
        return None
    return key


def limit_key() -> str | None:
    """The key a call presents, for the per-key rate limit; None if it presents none."""
    call = request_call()
    plaintext = call.get("api_key") or call.get("key") if call is not None else None
    return (plaintext or wire.host_key(request.host) or "").strip() or None


# Rate limits count this protocol's calls per key too (``moderation.http.limits``).
blp.record_once(lambda state: find_keys_with(state.app, blp, limit_key))


def blog_matches(key: ApiKey, blog: str | None) -> bool:
    origin = normalize_origin(blog or "")
    registered = {normalize_origin(o) for o in (key.site.origins if key.site else [])}
    return origin is not None and origin in registered


def checked(call: wire.Call | None, *required: str) -> tuple[ApiKey | None, wire.Answer | None]:
    """The key for an operation, or the answer that refuses the request."""
    if call is None:
        return None, wire.bad_field("body")
    key = presented_key(db.session(), call, "api_key", "key")
    if key is None:
        return None, wire.invalid_key("The API key is missing, unknown or revoked.")
    for name in required:
        if not call.get(name):
            return None, wire.missing_field(name)
    if (call.get("blog") or "blog" in required) and not blog_matches(key, call.get("blog")):
        return None, wire.invalid_key("The blog URL is not an origin of the key's site.")
    if not origin_allowed(request.headers.get("Origin"), key.site.origins if key.site else []):
        return None, wire.invalid_key("Requests from this origin are not allowed.")
    if (name := wire.text_problem(call)) is not None:
        return None, wire.bad_field(name)
    return key, None


def content(call: wire.Call) -> str:
    """What the models read of ``comment_content``: WordPress' comment HTML as text
    (``compat.markup``), so ``id<b></b>iot`` is read as the word it shows and links keep targets."""
    return html_to_text(call.get("comment_content") or "")


def submission(call: wire.Call) -> Submission:
    """The comment of a call; URLs other than http(s) (``javascript:``) are not stored."""
    return Submission(
        text=content(call),
        name=call.get("comment_author") or "",
        email=call.get("comment_author_email"),
        url=web_url(call.get("comment_author_url")),
        thread_id=call.get("permalink"),
        thread_url=web_url(call.get("permalink")),
        parent_id=call.get("comment_parent"),
        language=(call.get("blog_lang") or "").split(",")[0].strip() or None,
        ip=call.get("user_ip"),
        user_agent=call.get("user_agent"),
        referrer=call.get("referrer"),
    )


def rechecked(session: Session, key: ApiKey, call: wire.Call) -> Comment | None:
    """For a recheck (WordPress' queue, an edit): the comment we already decided, if any.

    Without it every recheck would store the comment again; an undecided or unscored one is
    submitted anew, so a comment that failed to score gets its verdict this time.
    """
    assert key.site is not None
    found = find_comment(
        session, key.site.id, text=content(call), email=call.get("comment_author_email")
    )
    return found if found is not None and not is_unscored(found) else None


@blp.post("/1.1/verify-key")
def verify_key() -> Response:
    """``valid`` for a live Akismet key whose site has the ``blog`` origin, else ``invalid``."""
    call = request_call()
    if call is None:
        return respond(wire.bad_field("body"))
    key = presented_key(db.session(), call, "key", "api_key")
    if key is None:
        return respond(wire.invalid_key("The API key is missing, unknown or revoked."))
    if not blog_matches(key, call.get("blog")):
        return respond(wire.invalid_key("The blog URL is not an origin of the key's site."))
    return respond(wire.plain("valid"))


@blp.post("/1.1/comment-check")
def comment_check() -> Response:
    """``true`` (spam, or held) / ``false`` (approved), after the worker's verdict."""
    call = request_call()
    key, refusal = checked(call, "blog", "user_ip")
    if refusal is not None:
        return respond(refusal)
    assert call is not None and key is not None and key.site is not None
    if call.is_test_trigger_spam:
        return respond(wire.check_answer(True))
    if call.is_test_trigger_ham:
        return respond(wire.check_answer(False))
    if call.honeypot_filled:
        return respond(wire.check_answer(True, discard=True))
    if not content(call):
        # Nothing for the models to read (a sign-up without text): not spam by content.
        return respond(wire.check_answer(False))
    session = db.session()
    comment = rechecked(session, key, call) if call.get("recheck_reason") else None
    if comment is None:
        try:
            comment = submit_and_wait(session, key.site, submission(call))
        except ThreadClosed as closed:
            return respond(closed_answer(str(closed)))
    # The reasons let a client file a hold apart from spam (the WordPress plugin: Pending).
    headers = {**answer_headers(comment), "X-Moderation-Reasons": ",".join(comment.reasons or [])}
    if comment.status == "pending":
        message = "No verdict in time; hold the comment and check it again later."
        return respond(wire.scoring_failed(message), {**headers, "X-akismet-guid": comment.id})
    if is_unscored(comment):
        message = "The comment could not be scored; it is held for a moderator."
        return respond(wire.scoring_failed(message), {**headers, "X-akismet-guid": comment.id})
    spam, discard = wire.verdict_answer(comment.status, list(comment.reasons or []))
    return respond(wire.check_answer(spam, discard=discard, guid=comment.id), headers)


def closed_answer(message: str) -> wire.Answer:
    """A comment in a thread a moderator closed: ``true`` with ``discard``, nothing stored.

    Every client then keeps it unpublished, and none asks again: the Akismet plugin discards it
    (or, where discarding is off, files it as spam, deleted after 15 days); our plugin reads
    ``rejected`` without ``spam`` and trashes it; Coral's spam phase withholds it. An error
    answer would hold it in Pending and have WordPress recheck it every 20 minutes, forever.
    """
    body, status, headers = wire.check_answer(True, discard=True)
    return (
        body,
        status,
        {
            **headers,
            "X-Moderation-Status": CommentStatus.REJECTED,
            "X-Moderation-Reasons": THREAD_CLOSED,
            "X-akismet-debug-help": message,
        },
    )


def feedback(kind: str) -> Response:
    call = request_call()
    # Coral sends these as JSON without ``blog``; a form (Akismet's own clients) has one.
    required = () if request.mimetype == "application/json" else ("blog",)
    key, refusal = checked(call, *required)
    if refusal is not None:
        return respond(refusal)
    assert call is not None and key is not None and key.site is not None
    session = db.session()
    text = content(call)
    comment = by_guid(session, key.site.id, call.get("guid"))
    if comment is None:
        email = call.get("comment_author_email")
        comment = find_comment(session, key.site.id, text=text, email=email)
    record_feedback(
        session,
        key.site,
        FEEDBACK_ACTIONS[kind],
        source=f"akismet:{kind}",
        key_id=key.id,
        comment=comment,
        submission=submission(call) if text else None,
    )
    return respond(wire.plain(wire.THANKS))


def by_guid(session: Session, site_id: int, guid: str | None) -> Comment | None:
    """The comment whose ``X-akismet-guid`` (our id) the client sends back, on the key's site.

    The guid finds the original even when the text was edited since comment-check.
    """
    if not guid:
        return None
    comment = session.get(Comment, guid.strip()[:36])
    return comment if comment is not None and comment.site_id == site_id else None


@blp.post("/1.1/submit-spam")
def submit_spam() -> Response:
    """A moderator says this was spam: ``spam`` feedback for learning."""
    return feedback("submit-spam")


@blp.post("/1.1/submit-ham")
def submit_ham() -> Response:
    """A moderator says this was not spam: ``not_spam`` feedback for learning."""
    return feedback("submit-ham")


@blp.get("/1.2/usage-limit")
def usage_limit() -> Response:
    """No quota here: ``limit`` is ``none``; ``usage`` counts this month's stored comments."""
    call = request_call()
    key = presented_key(db.session(), call, "api_key") if call is not None else None
    if key is None:
        return respond(wire.invalid_key("The API key is missing, unknown or revoked."))
    month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    usage = db.session().scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.site_id == key.site_id, Comment.created_at >= month)
    )
    body: dict[str, Any] = {
        "limit": "none",
        "usage": usage or 0,
        "percentage": "0.00",
        "throttled": False,
    }
    return Response(json.dumps(body), status=200, mimetype="application/json")


@blp.post("/1.1/get-subscription")
def get_subscription() -> Response:
    """The account as the WordPress plugin reads it (a JSON object), or ``invalid``."""
    call = request_call()
    key, refusal = checked(call)
    if refusal is not None:
        return respond(refusal)
    assert key is not None and key.site is not None
    return json_answer(subscription(key.site))


@blp.post("/1.1/get-stats")
def get_stats() -> Response:
    """The site's figures over ``from`` (``6-months``, ``60-days``, ``all``), as a JSON object."""
    call = request_call()
    key, refusal = checked(call)
    if refusal is not None:
        return respond(refusal)
    assert call is not None and key is not None and key.site is not None
    return json_answer(account_stats(db.session(), key.site, call.get("from")))


def json_answer(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, mimetype="application/json")


@blp.errorhandler(429)
def rate_limited(error: HTTPException) -> Response:
    """A rate limit in Akismet's plain text (the handler for 429 the app has is ``/v1``'s)."""
    return http_error(error)


@blp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Errors before or inside the views (413, 429, ...) in Akismet's plain text."""
    message = error.description or error.name
    headers = {"X-akismet-debug-help": message}
    if error.code == 429:
        # WordPress holds a comment whose check failed (any body but true/false).
        headers["X-akismet-error"] = message
        headers["Retry-After"] = str(retry_after_seconds())
    return respond(wire.plain(message, error.code or 500, **headers))


@blp.errorhandler(DBAPIError)
def database_error(error: DBAPIError) -> Response:
    logger.warning("database unavailable: %s", error.orig)
    return respond(wire.scoring_failed("The database is unavailable; hold the comment."))
