"""Perspective API v1alpha1: ``comments:analyze`` and ``comments:suggestscore``, for Coral.

A plain Flask blueprint: the requests and answers are Google's JSON, and so are the errors
(``{"error": {"code", "message", "status", "details"}}``, see ``perspective_protocol``), never
the ``/v1`` shape. The key is a site key (``?key=msk_...``), as Coral's "custom endpoint" sends it.

``comments:analyze`` waits for a worker's scores (up to ``WAIT_MAX_MS``; 503 UNAVAILABLE after
that, never a made-up score):

- without ``doNotStore``: the comment is stored as a submission (text only, ``clientToken`` as
  its client id, ``communityId`` as its thread, the first requested language), scored by the
  site's policy like any other, and the moderators see it in the review queue; in a thread a
  moderator closed it is refused, 400 ``FAILED_PRECONDITION``, and nothing is stored;
- with ``doNotStore: true``: scored through ``moderation.compat.transient`` (no row, no log line,
  the text in Redis only while a worker picks it up).

``comments:suggestscore`` (Coral: on every moderator decision, value 0 approved, 1 rejected) is
authorised by the same public site key, so it is a *suggestion* (``compat.suggestions``): stored
beside the comment, never a decision, a label or trust. Coral's moderators' decisions reach us
signed, through its webhook (``compat.coral``).

Scores are on the site's policy scale (``compat.calibration``): what the policy holds scores
above Coral's default threshold, 0.8.

The guards of ``/v1`` hold here too (``compat.guards``): JSON bodies only (``text/plain`` is how a
web page would post without a CORS preflight), a browser only from the site's origins, bounded
nesting, storable text; span annotations are bounded per key (``MAX_SPAN_REQUESTS`` at a time).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from moderation.compat import perspective_protocol as wire
from moderation.compat.calibration import hold_thresholds, policy_scores
from moderation.compat.guards import BadInput, bad_string, json_body_type, load_json, origin_allowed
from moderation.compat.markup import html_to_text
from moderation.compat.observe import observe
from moderation.compat.spans import sentences, to_utf16
from moderation.compat.submissions import find_comment, is_unscored
from moderation.compat.suggestions import record_suggestion
from moderation.compat.transient import NoScore, Unread, score_text, span_scores
from moderation.http.limits import find_keys_with, retry_after_seconds
from moderation.keys import find_key
from moderation.stats import model_thresholds
from moderation.storage import ApiKey, Role, db
from moderation.submissions import Submission, ThreadClosed, submit_and_wait

logger = logging.getLogger(__name__)

blp = Blueprint("perspective", __name__, url_prefix="/v1alpha1")
observe(blp)

# Google's status name for an HTTP code the framework raises (413, 429, ...).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}
RETRY_AFTER_SECONDS = 5
# Span-annotated requests one key may have in flight at once (each costs a worker many scores).
MAX_SPAN_REQUESTS = 2
SPAN_SLOT_SECONDS = 30


def answer(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def presented_key() -> str | None:
    """The key as sent: ``?key=`` (Coral) or Google's ``X-Goog-Api-Key`` header."""
    return (request.args.get("key") or request.headers.get("X-Goog-Api-Key") or "").strip() or None


# Rate limits count this protocol's calls per key too (``moderation.http.limits``).
blp.record_once(lambda state: find_keys_with(state.app, blp, presented_key))


def site_key() -> ApiKey:
    """The submit key in ``?key=`` (or Google's ``X-Goog-Api-Key`` header); else a key error."""
    plaintext = presented_key() or ""
    if not plaintext:
        raise wire.key_error("API_KEY_MISSING")
    key = find_key(db.session(), plaintext)
    if key is None:
        raise wire.key_error("API_KEY_INVALID")
    if key.role != Role.SUBMIT or key.site is None:
        raise wire.key_error("API_KEY_SERVICE_BLOCKED")
    if not origin_allowed(request.headers.get("Origin"), key.site.origins):
        # As /v1: a browser may use a site's public key only from that site's pages.
        raise wire.PerspectiveError(
            403, "PERMISSION_DENIED", "Requests from this origin are not allowed.", []
        )
    return key


def json_body() -> Any:
    """The JSON body: ``application/json`` in UTF-8 only, bounded nesting, storable strings."""
    if not json_body_type(request.mimetype, request.mimetype_params.get("charset")):
        raise wire.PerspectiveError(
            415, "INVALID_ARGUMENT", "Send the body as application/json.", []
        )
    try:
        body = load_json(request.get_data(cache=True))
    except BadInput as error:
        raise wire.invalid(f"Invalid JSON payload received. {error}") from None
    if (problem := bad_string(body)) is not None:
        raise wire.invalid(f"Invalid JSON payload received: {problem}.")
    return body


def active_thresholds() -> dict[str, float]:
    """The hold thresholds the workers apply, per label (``moderation.stats``)."""
    return model_thresholds(db.session())


@contextlib.contextmanager
def span_slot(key: ApiKey) -> Iterator[None]:
    """One of the key's ``MAX_SPAN_REQUESTS`` slots for span work; 429 when none is free.

    Six loops of 20 KB annotated comments from one requester must not hold every site's verdicts
    back: what one key may ask of the workers at once is bounded. Without Redis, no limit (the
    request then fails on the queue anyway).
    """
    connection = current_app.extensions["redis"]
    name = f"moderation:spans:{key.id}"
    taken = False
    try:
        with connection.pipeline() as pipeline:
            in_flight, _ = pipeline.incr(name).expire(name, SPAN_SLOT_SECONDS).execute()
        taken = True
    except (RedisError, AttributeError):
        in_flight = 0
    try:
        if in_flight > MAX_SPAN_REQUESTS:
            raise wire.PerspectiveError(
                429, "RESOURCE_EXHAUSTED", "Too many span-annotated requests at once.", []
            )
        yield
    finally:
        if taken:
            with contextlib.suppress(RedisError):
                connection.decr(name)


def readable_text(text: str, kind: str) -> str:
    """What the models read: HTML as the text a reader sees."""
    text = html_to_text(text) if kind == "HTML" else text
    if not text.strip():
        raise wire.invalid("Comment must be non-empty.", wire.ErrorType.COMMENT_EMPTY)
    return text


def catalog() -> dict[str, tuple[str, ...]]:
    """The shipped models' languages and their labels (the manifest, read as JSON)."""
    from models.catalog import language_labels

    return language_labels()


def scored_language(model_versions: dict[str, str] | None) -> str:
    """The language whose model scored a stored comment: its ``toxicity-<code>`` model's, else
    English (``models.languages`` names each language's model so)."""
    for name in model_versions or {}:
        if name.startswith("toxicity-"):
            return name.removeprefix("toxicity-")
    return "en"


def stored_scores(
    key: ApiKey, analyze: wire.AnalyzeRequest, text: str
) -> tuple[dict[str, float], list[Any], str]:
    """Store the comment, wait for its verdict and (if asked) its sentence scores; and the
    language that scored it."""
    started = time.monotonic()
    assert key.site is not None
    submission = Submission(
        text=text,
        client_id=analyze.client_token,
        # Perspective has no thread; its "community within your platform" is the nearest.
        thread_id=analyze.community_id,
        language=analyze.languages[0] if analyze.languages else None,
        ip=request.remote_addr,
        user_agent=request.user_agent.string or None,
    )
    try:
        comment = submit_and_wait(db.session(), key.site, submission)
    except ThreadClosed as closed:
        raise wire.failed_precondition(str(closed)) from None
    if is_unscored(comment) or not comment.scores:
        raise wire.unavailable("The comment was not scored in time; retry later.")
    language = scored_language(comment.model_versions)
    model_holds = active_thresholds() if language == "en" else language_thresholds(language)
    holds = hold_thresholds(key.site.policy, model_holds)
    scores = policy_scores(comment.scores, holds, comment.status, comment.reasons or [])
    if not analyze.span_annotations:
        return scores, [], language
    found = list(sentences(text))
    if len(found) <= 1:
        return scores, [[*to_utf16(text, 0, len(text)), scores]], language
    deadline = started + current_app.config["WAIT_MAX_MS"] / 1000
    try:
        spans = span_scores(current_app.extensions["redis"], comment.id, deadline)
    except NoScore:
        raise wire.unavailable("The span scores were not ready in time; retry later.") from None
    spans = [[begin, end, policy_scores(values, holds)] for begin, end, values in spans]
    return scores, spans, language


def language_thresholds(language: str) -> dict[str, float]:
    """A language model's hold thresholds, from the shipped manifest (``models.catalog``)."""
    from models.catalog import language_thresholds as shipped

    return shipped(language)


def transient_scores(
    key: ApiKey, analyze: wire.AnalyzeRequest, text: str
) -> tuple[dict[str, float], list[Any], str]:
    """Scores without storing anything (``doNotStore``), on the site's policy scale; and the
    language that scored them."""
    assert key.site is not None
    try:
        scored = score_text(
            current_app.extensions["redis"],
            text,
            current_app.config["WAIT_MAX_MS"],
            spans=analyze.span_annotations,
            policy=dict(key.site.policy or {}),
            languages=analyze.languages,
        )
    except NoScore:
        raise wire.unavailable("The comment was not scored in time; retry later.") from None
    except Unread as unread:
        # As Perspective answers a detected language it has no model for.
        names = ", ".join(wanted.attribute for wanted in analyze.attributes) or "TOXICITY"
        raise wire.invalid(
            f"Attribute {names} does not support request languages: {unread.language}",
            wire.ErrorType.LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
        ) from None
    holds = hold_thresholds(key.site.policy, scored.get("thresholds") or active_thresholds())
    verdict = scored.get("verdict") or {}
    scores = policy_scores(
        scored["scores"], holds, verdict.get("status"), verdict.get("reasons", [])
    )
    spans = [[begin, end, policy_scores(values, holds)] for begin, end, values in scored["spans"]]
    return scores, spans, str(scored.get("language") or "en")


@blp.post("/comments:analyze")
def analyze() -> Response:
    """Scores for the requested attributes (and sentence spans, UTF-16 offsets)."""
    key = site_key()
    languages = catalog()
    analyze = wire.parse_analyze(json_body(), languages)
    text = readable_text(analyze.text, analyze.text_type)
    score = transient_scores if analyze.do_not_store else stored_scores
    if analyze.span_annotations:
        with span_slot(key):
            scores, spans, language = score(key, analyze, text)
    else:
        scores, spans, language = score(key, analyze, text)
    found = [tuple(span) for span in spans]
    return answer(wire.analyze_response(analyze, scores, found, language, languages))


def suggested_action(labels: dict[str, float]) -> str:
    """One moderator decision for a suggestion: spam/not_spam for SPAM, else reject/approve."""
    if "spam" in labels:
        return "spam" if labels["spam"] >= 0.5 else "not_spam"
    return "reject" if max(labels.values()) >= 0.5 else "approve"


@blp.post("/comments:suggestscore")
def suggest_score() -> Response:
    """Keep a person's scores as a suggestion about the comment; answers ``{clientToken}``.

    Never a decision: the key is public (see the module docstring).
    """
    key = site_key()
    suggestion = wire.parse_suggest(json_body())
    assert key.site is not None
    session = db.session()
    comment = find_comment(
        session, key.site.id, client_id=suggestion.client_token, text=suggestion.text
    )
    record_suggestion(
        session,
        key.site,
        comment,
        suggested_action(suggestion.labels),
        source="perspective:suggestscore",
        key_id=key.id,
    )
    token = {"clientToken": suggestion.client_token} if suggestion.client_token else {}
    return answer(token)


@blp.errorhandler(wire.PerspectiveError)
def perspective_error(error: wire.PerspectiveError) -> Response:
    response = answer(error.body(), error.code)
    if error.code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@blp.errorhandler(429)
def rate_limited(error: HTTPException) -> Response:
    """A rate limit (per client IP or per key) in Google's shape: RESOURCE_EXHAUSTED."""
    message = f"Quota exceeded ({error.description}); retry later."
    response = perspective_error(wire.PerspectiveError(429, "RESOURCE_EXHAUSTED", message, []))
    response.headers["Retry-After"] = str(retry_after_seconds())
    return response


@blp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Errors the framework raises (413, 429, ...) in Google's shape."""
    code = error.code or 500
    if code == 413:
        return perspective_error(
            wire.invalid("The request is too large.", wire.ErrorType.COMMENT_TOO_LONG)
        )
    status = STATUS_NAMES.get(code, "INTERNAL" if code >= 500 else "FAILED_PRECONDITION")
    return perspective_error(wire.PerspectiveError(code, status, error.description or "", []))


@blp.errorhandler(DBAPIError)
def database_error(error: DBAPIError) -> Response:
    logger.warning("database unavailable: %s", error.orig)
    return perspective_error(wire.unavailable("The database is unavailable; retry later."))
