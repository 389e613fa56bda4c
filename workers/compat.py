"""Jobs of the drop-in protocols (``moderation.compat``) that /v1 has no need for.

- ``score_transient(token)``: Perspective's ``doNotStore: true``. The job carries a token, never
  the text: the text arrives as a pub/sub message from the API that is waiting (see
  ``moderation.compat.transient``, which explains why no Redis key ever holds it). Only the scores
  (and span scores) are returned, as the job's result. Errors are returned as a short code, not
  raised, so no traceback that might quote the text ends up in RQ's failed-job registry; nothing
  logs the text.
- ``score_spans(comment_id)``: per-sentence scores of a stored comment, for ``spanAnnotations``.

Span work is bounded: at most ``MAX_SPANS`` spans are scored per comment (consecutive sentences
are joined beyond that), so a 20 KB comment costs a worker about as much as 20 short ones, not
hundreds; and a stored comment's spans are scored on the explain queue, which workers take only
when no verdict is waiting (``moderation.compat.transient``).

Both take ids (a token, a comment id), never the text, like every job here.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import get_current_job

from models.language import route
from models.record import CommentRecord
from models.text import normalize
from moderation.compat.spans import sentences, to_utf16
from moderation.compat.transient import HANDOFF_SECONDS, ask_channel, text_channel
from moderation.policy import decide
from moderation.storage import Comment, db
from workers.context import current
from workers.routing import declared_languages, route_comment

if TYPE_CHECKING:
    from models.scorer import Scorer

logger = logging.getLogger(__name__)

Span = tuple[int, int, dict[str, float]]
# The most spans one comment's annotations score (sentences are grouped beyond that).
MAX_SPANS = 20


def grouped(found: list[tuple[int, int]], limit: int = MAX_SPANS) -> list[tuple[int, int]]:
    """``found`` (sentence spans, in order) joined into at most ``limit`` consecutive groups."""
    if len(found) <= limit:
        return found
    size = -(-len(found) // limit)  # ceiling division
    return [
        (found[i][0], found[min(i + size, len(found)) - 1][1]) for i in range(0, len(found), size)
    ]


def span_scores(model: Scorer, text: str, whole: dict[str, float]) -> list[Span]:
    """Each sentence's scores at its UTF-16 ``[begin, end)``; one sentence reuses ``whole``.

    At most ``MAX_SPANS`` spans: a long comment's sentences are scored in groups.
    """
    found = grouped(list(sentences(text)))
    if len(found) <= 1:
        begin, end = to_utf16(text, 0, len(text))
        return [(begin, end, whole)]
    scores = model.score([CommentRecord(text=text[start:end]) for start, end in found])
    return [
        (*to_utf16(text, start, end), values)
        for (start, end), values in zip(found, scores, strict=True)
    ]


def receive_text(connection: Redis, token: str) -> dict[str, Any] | None:
    """Ask the waiting API for the text and receive it; None if nobody is waiting any more."""
    pubsub = connection.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(text_channel(token))
        if not connection.publish(ask_channel(token), "ready"):
            return None  # the API gave up: nobody listens on the ask channel
        deadline = time.monotonic() + HANDOFF_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            message = pubsub.get_message(timeout=remaining)
            if message is not None and message["type"] == "message":
                return json.loads(message["data"])
        return None
    finally:
        pubsub.close()


def score_transient(token: str) -> dict[str, Any]:
    """Score the text the API hands over for ``token``; ``{"scores", "spans"}`` or ``{"error"}``.

    With the site's ``policy`` in the handoff, also the models' hold ``thresholds`` and the
    policy's ``verdict`` on the text alone (no author record, no signals: nothing is stored),
    which the API needs to answer on the policy's scale (``moderation.compat.calibration``).
    """
    job = get_current_job()
    if job is None:
        return {"error": "no_connection"}
    received = receive_text(job.connection, token)
    text = (received or {}).get("text")
    if not isinstance(text, str) or not text:
        return {"error": "gone"}
    context = current()
    context.refresh()
    policy = received.get("policy")
    try:
        # Routed as the worker routes a stored comment: the request's languages, the detector,
        # the site's declared languages.
        routed = route(
            text,
            context.model(),
            requested=[c for c in received.get("languages") or () if isinstance(c, str)],
            declared=declared_languages(policy if isinstance(policy, dict) else None),
        )
        if routed.scorer is None:
            return {"error": "unread", "language": routed.language}
        model = routed.scorer
        scores = model.score([CommentRecord(text=text)])[0]
        spans = span_scores(model, text, scores) if received.get("spans") else []
        verdict = (
            decide(scores, policy, model.thresholds, text=text, normalize=normalize)
            if isinstance(policy, dict)
            else None
        )
    except Exception as error:
        # The type only: a message could quote the text.
        logger.error("transient scoring failed: %s", type(error).__name__)
        return {"error": "scoring_failed"}
    answer: dict[str, Any] = {
        "scores": scores,
        "spans": [list(span) for span in spans],
        "language": routed.language,
    }
    if verdict is not None:
        answer["thresholds"] = dict(model.thresholds)
        answer["verdict"] = {"status": verdict.status, "reasons": list(verdict.reasons)}
    return answer


def score_spans(comment_id: str) -> list[list[Any]]:
    """Sentence spans of a stored, scored comment: ``[[begin, end, {label: p}], ...]``."""
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None or not comment.scores:
            return []
        text, whole = comment.text, dict(comment.scores)
    model = route_comment(comment_id, text, current().model()).scorer
    if model is None:
        return []
    return [list(span) for span in span_scores(model, text, whole)]
