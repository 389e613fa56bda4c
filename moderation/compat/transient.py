"""Score a text without storing it: Perspective's ``doNotStore: true``.

What "never stored" means here, end to end:

- no database row of any kind (no comment, score, decision or audit entry);
- no log line with the text, in the API or the worker (``workers.compat`` logs error types only);
- no Redis key holds it, not even for a moment: the RQ job carries only a random token, and the
  text goes from the API to the worker that took the job as a pub/sub message. Redis never writes
  pub/sub messages to disk (neither RDB snapshots nor the AOF that ``moderation up``'s embedded
  Redis keeps) and forgets them once delivered. The handoff: the worker subscribes to the text
  channel, then publishes "ready" on the ask channel the API listens on; the API answers with
  the text on the text channel. If the API has given up, nobody is listening, and the worker
  stops at once. The job's result holds only the scores and is deleted once read (at most
  ``RESULT_TTL_SECONDS`` otherwise).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.job import Job
from rq.results import Result
from rq.serializers import JSONSerializer

from moderation.queue import EXPLAIN_QUEUE, SCORE_QUEUE, get_queue

TRANSIENT_JOB = "workers.compat.score_transient"
SPANS_JOB = "workers.compat.score_spans"
# Seconds a worker waits for the text once it asked for it (the API answers in a round trip).
HANDOFF_SECONDS = 2.0
RESULT_TTL_SECONDS = 30
# XREAD BLOCK in slices of at most this, and half the client's socket timeout.
BLOCK_SLICE_MS = 1000
# Blocked reads in a row whose reply came after the socket timeout before Redis counts as frozen.
MAX_LATE_REPLIES = 3


class NoScore(Exception):
    """No score in time (or Redis is unreachable); the caller answers 503, never a guess."""


class Unread(Exception):
    """The text is in a language no model reads (``language``): nothing to answer with."""

    def __init__(self, language: str) -> None:
        super().__init__(f"no model reads {language}")
        self.language = language


def ask_channel(token: str) -> str:
    """Where the worker that took the job says it is ready for the text."""
    return f"moderation:transient:{token}:ask"


def text_channel(token: str) -> str:
    """Where the API sends the text, as one JSON message ``{"text", "spans"}``."""
    return f"moderation:transient:{token}:text"


def hand_over(pubsub: Any, connection: Redis, token: str, message: str, deadline: float) -> None:
    """Wait for the worker's "ready" on the ask channel, then publish the text to it."""
    while (remaining := deadline - time.monotonic()) > 0:
        if pubsub.get_message(timeout=min(remaining, 1.0)) is not None:
            connection.publish(text_channel(token), message)
            return
    raise NoScore("no worker took the comment in time")


def wait_for_result(connection: Redis, job_id: str, deadline: float) -> Any:
    """The job's return value once it is there, or :class:`NoScore` at ``deadline``."""
    key = Result.get_key(job_id)
    # Each XREAD BLOCK must end before the client's own socket timeout (0.15 s for the API's).
    timeout = connection.connection_pool.connection_kwargs.get("socket_timeout") or 5.0
    slice_ms = min(BLOCK_SLICE_MS, int(timeout * 500))
    late_replies = 0
    while (remaining := deadline - time.monotonic()) > 0:
        block = max(1, min(slice_ms, int(remaining * 1000)))
        try:
            response = connection.xread({key: "0-0"}, block=block, count=1)
        except RedisTimeoutError:
            # A reply a little later than the socket timeout is a busy machine, not a frozen
            # Redis (the wait would otherwise fail a comment a worker is about to answer);
            # several in a row are a frozen one, and the caller stops waiting.
            late_replies += 1
            if late_replies >= MAX_LATE_REPLIES:
                raise
            continue
        late_replies = 0
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
        for name in (SCORE_QUEUE, EXPLAIN_QUEUE):
            pipeline.lrem(get_queue(connection, name).key, 0, job_id)
        pipeline.delete(Job.key_for(job_id), Result.get_key(job_id))
        pipeline.execute()


def score_text(
    connection: Redis, text: str, wait_ms: int, *, spans: bool,
    policy: dict[str, Any] | None = None, languages: Sequence[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """``{"scores": {label: p}, "spans": [[begin, end, {label: p}]]}`` for ``text``, not stored.

    With ``policy`` (a site's), also ``thresholds`` and the policy's ``verdict`` on the text
    (``workers.compat.score_transient``); ``languages`` (the request's) route it as the worker
    routes every comment, and the answer's ``language`` is the one that scored it. Raises
    :class:`NoScore` when no worker answered within ``wait_ms`` or scoring failed, and
    :class:`Unread` when no model reads the text's language.
    """
    token = secrets.token_urlsafe(18)
    job_id = f"transient-{token}"
    deadline = time.monotonic() + wait_ms / 1000
    pubsub = None
    try:
        pubsub = connection.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(ask_channel(token))
        get_queue(connection, SCORE_QUEUE).enqueue(
            TRANSIENT_JOB, token, job_id=job_id, result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=RESULT_TTL_SECONDS,
        )  # fmt: skip
        hand_over(
            pubsub,
            connection,
            token,
            json.dumps(
                {"text": text, "spans": spans, "policy": policy, "languages": list(languages)}
            ),
            deadline,
        )
        answer = wait_for_result(connection, job_id, deadline)
    except RedisError as error:
        raise NoScore(f"the queue is unreachable: {type(error).__name__}") from None
    finally:
        if pubsub is not None:
            with contextlib.suppress(RedisError):
                pubsub.close()
        forget(connection, job_id)
    if isinstance(answer, dict) and answer.get("error") == "unread":
        raise Unread(str(answer.get("language") or "und"))
    if not isinstance(answer, dict) or "scores" not in answer:
        raise NoScore("scoring failed")
    return answer


def span_scores(connection: Redis, comment_id: str, deadline: float) -> list[list[Any]]:
    """Per-sentence scores of a stored comment (``workers.compat.score_spans``), by ``deadline``.

    On the explain queue: workers take it only when no comment waits for its verdict, so one
    requester's long annotations never delay another site's verdicts.
    """
    job_id = f"spans-{comment_id}-{secrets.token_hex(4)}"
    try:
        get_queue(connection, EXPLAIN_QUEUE).enqueue(
            SPANS_JOB, comment_id, job_id=job_id, result_ttl=RESULT_TTL_SECONDS,
            failure_ttl=RESULT_TTL_SECONDS,
        )  # fmt: skip
        answer = wait_for_result(connection, job_id, deadline)
    except RedisError as error:
        raise NoScore(f"the queue is unreachable: {type(error).__name__}") from None
    finally:
        forget(connection, job_id)
    return list(answer or [])
