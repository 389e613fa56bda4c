"""The RQ entry points, by the dotted paths ``moderation.queue`` enqueues: thin and idempotent.

Each takes an id, not an object. ``score_comment`` may run more than once for one comment (an RQ
retry, the sweeper, a worker that died after committing): the score rows are keyed by (comment,
label, model version) and the verdict is a compare-and-set on ``pending``, so a second run changes
nothing and announces nothing. The work itself is in ``workers.scoring`` and
``workers.delivery``; the settings and models in ``workers.context``.
"""

from __future__ import annotations

import logging

from rq import get_current_job

from moderation import metrics
from moderation.queue import enqueue_explain
from moderation.storage import Comment, CommentStatus, db
from workers import delivery, routing, scoring
from workers.context import current
from workers.observe import observed

logger = logging.getLogger(__name__)


@observed
def score_comment(comment_id: str) -> str:
    """Score one comment, apply its site's policy and store the verdict; return the status.

    The explanation is left to ``explain_comment`` on the lowest-priority queue: explaining costs
    more than scoring (one re-scoring per word), and in a burst every verdict should come before
    any explanation.
    """
    context = current()
    attempt = scoring.start_attempt(comment_id)
    if attempt is None:
        logger.warning("comment %s no longer exists; nothing to score", comment_id)
        return "missing"
    if attempt.status != CommentStatus.PENDING:
        return attempt.status
    if attempt.number > context.max_attempts:
        gave_up = RuntimeError(f"gave up after {attempt.number - 1} attempts")
        return scoring.fail_closed(comment_id, gave_up)
    context.refresh()
    # The language picks the model (models.language.route); one without a model is unread.
    routed = routing.route_comment(comment_id, attempt.fields["text"], context.model())
    if routed.scorer is None:
        return scoring.save_unread(comment_id, routed.language)
    # A site's layer, when it has one, re-scores on top of the base (models.site_layer).
    model = context.for_site(routed.scorer, attempt.site_id)
    try:
        with metrics.MODEL_SECONDS.labels("score").time():
            scores = model.score([attempt.fields])[0]
        status = scoring.save_scores(model, comment_id, scores)
    except Exception as error:
        logger.exception("scoring comment %s failed (attempt %d)", comment_id, attempt.number)
        if attempt.number >= context.max_attempts:
            return scoring.fail_closed(comment_id, error)
        raise
    job = get_current_job()
    if job is not None and scoring.labels_to_explain(model, scores):
        enqueue_explain(job.connection, comment_id)
    return status


@observed
def explain_comment(comment_id: str) -> str:
    """Store the spans of the original text behind each label at or above its threshold.

    Idempotent: a comment whose model explanations are stored is left alone.
    """
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        if comment is None or not comment.scores:
            return "nothing to explain"
        if set(comment.explanations or {}) & set(comment.scores):
            return "explained"
        fields = scoring.comment_fields(comment)
        scores = dict(comment.scores)
        site_id = comment.site_id
    # The model that scored it: routed again with the same inputs, with the site's layer.
    context = current()
    model = routing.route_comment(comment_id, fields["text"], context.model()).scorer
    if model is None:
        return "nothing to explain"
    model = context.for_site(model, site_id)
    with metrics.MODEL_SECONDS.labels("explain").time():
        explanations = scoring.explain(model, fields, scores)
    scoring.save_explanations(comment_id, explanations)
    return "explained"


@observed
def deliver_webhook(delivery_id: int) -> str:
    """Send one webhook delivery, signed; raises for RQ to retry it, until the last attempt."""
    job = get_current_job()
    last_attempt = job is None or not job.retries_left
    context = current()
    return delivery.deliver(
        delivery_id,
        context.secret_key,
        last_attempt,
        allow_private=context.webhooks_allow_private,
    )
