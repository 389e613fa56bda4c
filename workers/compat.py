"""Jobs of the drop-in protocols (``moderation.compat``) that /v1 has no need for.

- ``score_transient(token)``: Perspective's ``doNotStore: true``. The job carries a token, never
  the text: the text arrives as a pub/sub message from the API that is waiting (see
  ``moderation.compat.transient``, which explains why no Redis key ever holds it). Only the scores
  (and span scores) are returned, as the job's result. Errors are returned as a short code, not
  raised, so no traceback that might quote the text ends up in RQ's failed-job registry; nothing
  logs the text.
- ``score_spans(comment_id)``: per-sentence scores of a stored comment, for ``spanAnnotations``.

Both take ids (a token, a comment id), never the text, like every job here.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import get_current_job

from models.record import CommentRecord
from moderation.compat.spans import sentences, to_utf16
from moderation.compat.transient import HANDOFF_SECONDS, ask_channel, text_channel
from moderation.storage import Comment, db
from workers.context import current

if TYPE_CHECKING:
    from models.scorer import Scorer

logger = logging.getLogger(__name__)

Span = tuple[int, int, dict[str, float]]


def span_scores(model: Scorer, text: str, whole: dict[str, float]) -> list[Span]:
    """Each sentence's scores at its UTF-16 ``[begin, end)``; one sentence reuses ``whole``."""
    found = list(sentences(text))
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
    """Score the text the API hands over for ``token``; ``{"scores", "spans"}`` or ``{"error"}``."""
    job = get_current_job()
    if job is None:
        return {"error": "no_connection"}
    received = receive_text(job.connection, token)
    text = (received or {}).get("text")
    if not isinstance(text, str) or not text:
        return {"error": "gone"}
    context = current()
    context.refresh()
    try:
        model = context.model()
        scores = model.score([CommentRecord(text=text)])[0]
        spans = span_scores(model, text, scores) if received.get("spans") else []
    except Exception as error:
        # The type only: a message could quote the text.
        logger.error("transient scoring failed: %s", type(error).__name__)
        return {"error": "scoring_failed"}
    return {"scores": scores, "spans": [list(span) for span in spans]}


def score_spans(comment_id: str) -> list[list[Any]]:
    """Sentence spans of a stored, scored comment: ``[[begin, end, {label: p}], ...]``."""
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None or not comment.scores:
            return []
        text, whole = comment.text, dict(comment.scores)
    return [list(span) for span in span_scores(current().model(), text, whole)]
