"""What every job does around its work: its ids on its log lines, and its time in the metrics.

``observed`` wraps the RQ entry points of ``workers.jobs``. It sits on the functions, not on a
worker class, so it holds for every way a job runs: ``moderation worker``, the test suite's
``SimpleWorker``, an ``rq worker`` started by hand.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from rq import get_current_job

from moderation import logs, metrics

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def observed(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` as a job with its job id and request id in effect, timed."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        job = get_current_job()
        job_id = job.id if job is not None else None
        meta = job.meta if job is not None else None
        with logs.job_context(job_id, meta):
            started = time.perf_counter()
            outcome = "error"
            try:
                result = function(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                seconds = time.perf_counter() - started
                metrics.JOB_SECONDS.labels(function.__name__, outcome).observe(seconds)
                # One line per job, inside its context, so it carries the request id.
                logger.info(
                    "job %s %s in %.1f ms",
                    function.__name__,
                    outcome,
                    seconds * 1000,
                    extra={"job": function.__name__, "outcome": outcome},
                )

    return run
