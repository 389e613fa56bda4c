"""Score a text without storing it: Perspective's ``doNotStore: true`` and Akismet's ``is_test``.

What "never stored" means here, end to end:

- no database row of any kind (no comment, score, decision or audit entry);
- no log line with the text, in the API or the worker (``workers.compat`` logs error types only);
- in Redis, the text lives in one hash ``moderation:transient:<token>`` from the request until a
  worker reads it (it deletes the hash right after reading); the hash has a TTL of the request's
  wait plus a few seconds, and the API deletes it itself when it stops waiting, so a late worker
  finds nothing. The RQ job carries only the token; its result holds only the scores and lives
  until the API has read it (then it is deleted; at most ``RESULT_TTL_SECONDS`` otherwise).

Redis itself may write its memory to disk (RDB snapshots, AOF) if it is configured to persist:
a snapshot taken in those milliseconds would hold the text until the next one. ``moderation up``
runs its embedded Redis without persistence for the queue; a production Redis used for the
queue should not persist either, or should be trusted like the database.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.job import Job
from rq.results import Result
from rq.serializers import JSONSerializer

from moderation.queue import SCORE_QUEUE, get_queue

TRANSIENT_JOB = "workers.compat.score_transient"
SPANS_JOB = "workers.compat.score_spans"
TEXT_FIELD = "text"
WANT_SPANS_FIELD = "spans"
# Seconds the parked text outlives the request's wait, at most.
TEXT_GRACE_SECONDS = 5
RESULT_TTL_SECONDS = 30
# XREAD BLOCK in slices shorter than the client's socket timeout (5 s, moderation.queue.connect).
BLOCK_SLICE_MS = 1000


class NoScore(Exception):
    """No score in time (or Redis is unreachable); the caller answers 503, never a guess."""


def transient_key(token: str) -> str:
    return f"moderation:transient:{token}"


def wait_for_result(connection: Redis, job_id: str, deadline: float) -> Any:
    """The job's return value once it is there, or :class:`NoScore` at ``deadline``."""
    key = Result.get_key(job_id)
    while (remaining := deadline - time.monotonic()) > 0:
        block = max(1, min(BLOCK_SLICE_MS, int(remaining * 1000)))
        response = connection.xread({key: "0-0"}, block=block, count=1)
        if response:
            result_id, payload = response[0][1][-1]
            result = Result.restore(
                job_id, result_id.decode(), payload, connection=connection,
                serializer=JSONSerializer,
            )  # fmt: skip
            if result.type == Result.Type.SUCCESSFUL:
                return result.return_value
            raise NoScore("the scoring job failed")
    raise NoScore("no score in time")


def forget(connection: Redis, job_id: str) -> None:
    """Remove the job: from the queue if no worker took it yet, its hash and its result."""
    with contextlib.suppress(RedisError), connection.pipeline() as pipeline:
        pipeline.lrem(get_queue(connection, SCORE_QUEUE).key, 0, job_id)
        pipeline.delete(Job.key_for(job_id), Result.get_key(job_id))
        pipeline.execute()


def score_text(connection: Redis, text: str, wait_ms: int, *, spans: bool) -> dict[str, Any]:
    """``{"scores": {label: p}, "spans": [[begin, end, {label: p}]]}`` for ``text``, not stored.

    Raises :class:`NoScore` when no worker answered within ``wait_ms`` or scoring failed.
    """
    token = secrets.token_urlsafe(18)
    key, job_id = transient_key(token), f"transient-{token}"
    deadline = time.monotonic() + wait_ms / 1000
    try:
        # One MULTI/EXEC: no worker sees the job before the text. RQ starts the MULTI itself,
        # so the enqueue comes first.
        with connection.pipeline() as pipeline:
            get_queue(connection, SCORE_QUEUE).enqueue(
                TRANSIENT_JOB, token, job_id=job_id, result_ttl=RESULT_TTL_SECONDS,
                failure_ttl=RESULT_TTL_SECONDS, pipeline=pipeline,
            )  # fmt: skip
            pipeline.hset(key, mapping={TEXT_FIELD: text, WANT_SPANS_FIELD: "1" if spans else ""})
            pipeline.expire(key, wait_ms // 1000 + TEXT_GRACE_SECONDS)
            pipeline.execute()
        answer = wait_for_result(connection, job_id, deadline)
    except RedisError as error:
        raise NoScore(f"the queue is unreachable: {type(error).__name__}") from None
    finally:
        with contextlib.suppress(RedisError):
            connection.delete(key)
        forget(connection, job_id)
    if not isinstance(answer, dict) or "scores" not in answer:
        raise NoScore("scoring failed")
    return answer


def span_scores(connection: Redis, comment_id: str, deadline: float) -> list[list[Any]]:
    """Per-sentence scores of a stored comment (``workers.compat.score_spans``), by ``deadline``."""
    job_id = f"spans-{comment_id}-{secrets.token_hex(4)}"
    try:
        get_queue(connection, SCORE_QUEUE).enqueue(
            SPANS_JOB, comment_id, job_id=job_id, result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=RESULT_TTL_SECONDS,
        )  # fmt: skip
        answer = wait_for_result(connection, job_id, deadline)
    except RedisError as error:
        raise NoScore(f"the queue is unreachable: {type(error).__name__}") from None
    finally:
        forget(connection, job_id)
    return list(answer or [])
