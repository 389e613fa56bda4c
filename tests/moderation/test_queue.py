"""The sweeper re-enqueues what Redis lost or a dead worker dropped, and nothing that is waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rq.job import Job, JobStatus
from sqlalchemy import update

from moderation.queue import SCORE_QUEUE, get_queue, score_job_id, sweep
from moderation.storage import Comment, db, utcnow


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
