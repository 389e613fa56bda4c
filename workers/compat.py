"""Jobs of the drop-in protocols (``moderation.compat``) that /v1 has no need for.

- ``score_transient(token)``: Perspective's ``doNotStore: true`` (and Akismet's ``is_test``). The
  text is never written to the database: the API puts it in a Redis hash under the token with a
  short TTL, this job takes it with GETDEL (so it is gone the moment a worker has read it),
  scores it, and returns only the scores (and span scores) as the job's result, which the API
  reads once and deletes. Errors are returned as a short code, not raised, so no traceback that
  might quote the text ends up in RQ's failed-job registry; nothing logs the text.
- ``score_spans(comment_id)``: per-sentence scores of a stored comment, for ``spanAnnotations``.

Both take ids (a token, a comment id), never the text, like every job here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rq import get_current_job

from models.record import CommentRecord
from moderation.compat.spans import sentences, to_utf16
from moderation.compat.transient import TEXT_FIELD, WANT_SPANS_FIELD, transient_key
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


def score_transient(token: str) -> dict[str, Any]:
    """Score the text parked under ``token``; ``{"scores", "spans"}`` or ``{"error": code}``."""
    job = get_current_job()
    if job is None:
        return {"error": "no_connection"}
    values = job.connection.hgetall(transient_key(token))
    # Read, then delete at once: the text outlives the read by one round trip.
    job.connection.delete(transient_key(token))
    text = values.get(TEXT_FIELD.encode(), b"").decode()
    if not text:
        # The API gave up (timeout) and removed it, or the TTL ran out: nothing to score.
        return {"error": "gone"}
    context = current()
    context.refresh()
    try:
        model = context.model()
        scores = model.score([CommentRecord(text=text)])[0]
        spans = span_scores(model, text, scores) if values.get(WANT_SPANS_FIELD.encode()) else []
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
