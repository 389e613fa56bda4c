"""The sweeper re-enqueues what Redis lost or a dead worker dropped, and nothing that is waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rq.job import Job, JobStatus
from sqlalchemy import update

from moderation.queue import (
    ATTEMPT_IN_PROGRESS,
    SCORE_QUEUE,
    WEBHOOK_QUEUE,
    get_queue,
    score_job_id,
    sweep,
    sweep_deliveries,
)
from moderation.storage import Comment, WebhookDelivery, db, utcnow
from tests import helpers


def submit_old_comment(client: Any, keys: Any) -> str:
    response = client.post(
        "/v1/comments", json={"name": "Ada", "text": "An old comment"}, headers=keys.headers("blog")
    )
    comment_id = response.get_json()["id"]
    with db.transaction() as session:
        session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    return comment_id


def test_a_queued_job_is_not_pushed_again(client: Any, keys: Any, app: Any) -> None:
    redis = app.extensions["redis"]
    submit_old_comment(client, keys)
    queue = get_queue(redis, SCORE_QUEUE)
    assert queue.count == 1
    assert sweep(db.session(), redis, older_than_seconds=60) == 0
    assert queue.count == 1


def test_a_job_redis_lost_is_enqueued_again(client: Any, keys: Any, app: Any) -> None:
    redis = app.extensions["redis"]
    comment_id = submit_old_comment(client, keys)
    redis.flushdb()
    assert sweep(db.session(), redis, older_than_seconds=60) == 1
    queue = get_queue(redis, SCORE_QUEUE)
    assert queue.job_ids == [score_job_id(comment_id)]


def test_a_job_a_dead_worker_took_is_enqueued_again(client: Any, keys: Any, app: Any) -> None:
    redis = app.extensions["redis"]
    comment_id = submit_old_comment(client, keys)
    queue = get_queue(redis, SCORE_QUEUE)
    # What a worker does when it takes a job, then dies before it ends.
    job = queue.dequeue_any([queue], timeout=None, connection=redis, serializer=queue.serializer)[0]
    job.set_status(JobStatus.STARTED)
    assert queue.count == 0
    assert sweep(db.session(), redis, older_than_seconds=60) == 1
    assert Job.fetch(score_job_id(comment_id), connection=redis).get_status() == JobStatus.QUEUED


def test_recent_comments_are_left_to_the_queue(client: Any, keys: Any, app: Any) -> None:
    redis = app.extensions["redis"]
    client.post("/v1/comments", json={"name": "A", "text": "new"}, headers=keys.headers("blog"))
    redis.flushdb()
    assert sweep(db.session(), redis, older_than_seconds=60) == 0


def test_a_job_popped_before_it_started_is_enqueued_again(client: Any, keys: Any, app: Any) -> None:
    # A worker killed between taking the job and marking it started leaves it "queued" in name
    # only: it is in no queue any more.
    redis = app.extensions["redis"]
    comment_id = submit_old_comment(client, keys)
    queue = get_queue(redis, SCORE_QUEUE)
    redis.lpop(queue.key)
    assert Job.fetch(score_job_id(comment_id), connection=redis).get_status() == JobStatus.QUEUED
    assert sweep(db.session(), redis, older_than_seconds=60) == 1
    assert queue.job_ids == [score_job_id(comment_id)]


# -- webhook deliveries ---------------------------------------------------------------------------


def pending_delivery(client: Any, keys: Any) -> dict[str, Any]:
    """A webhook (whose name resolves nowhere yet) and one pending delivery, its job queued."""
    hook = client.post(
        "/v1/sites/blog/webhooks",
        json={"url": "https://hooks.example/in", "events": ["comment.decided"]},
        headers=keys.headers("admin"),
    ).get_json()
    comment_id = helpers.submit(client, keys, "A comment to decide")
    helpers.decide(client, keys, comment_id, "approve")
    return hook


def test_a_queued_delivery_is_not_pushed_again(client: Any, keys: Any, app: Any) -> None:
    redis = app.extensions["redis"]
    pending_delivery(client, keys)
    deliveries = get_queue(redis, WEBHOOK_QUEUE)
    assert deliveries.count == 1
    for _ in range(3):
        assert sweep_deliveries(db.session(), redis, older_than_seconds=0) == 0
    assert deliveries.count == 1


def test_a_lost_delivery_of_a_paused_webhook_waits_for_it_to_resume(
    client: Any, keys: Any, app: Any
) -> None:
    redis = app.extensions["redis"]
    hook = pending_delivery(client, keys)
    get_queue(redis, WEBHOOK_QUEUE).empty()
    paused = {"active": False}
    client.patch(hook["links"]["self"], json=paused, headers=keys.headers("admin"))
    assert sweep_deliveries(db.session(), redis, older_than_seconds=0) == 0
    client.patch(hook["links"]["self"], json={"active": True}, headers=keys.headers("admin"))
    assert sweep_deliveries(db.session(), redis, older_than_seconds=0) == 1
    assert get_queue(redis, WEBHOOK_QUEUE).count == 1


def test_an_attempt_in_progress_is_left_alone_and_one_cut_short_is_sent_again(
    client: Any, keys: Any, app: Any
) -> None:
    redis = app.extensions["redis"]
    pending_delivery(client, keys)
    get_queue(redis, WEBHOOK_QUEUE).empty()
    for started, swept in ((utcnow(), 0), (utcnow() - timedelta(minutes=2), 1)):
        entry = {"at": started.isoformat(), "status_code": None, "error": ATTEMPT_IN_PROGRESS}
        with db.transaction() as session:
            session.execute(update(WebhookDelivery).values(attempts=1, log=[entry]))
        assert sweep_deliveries(db.session(), redis, older_than_seconds=0) == swept
