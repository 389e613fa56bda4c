"""Prometheus metrics of the drop-in protocols, per protocol and endpoint.

``moderation_submissions_total`` counts ``/v1`` only; these count every Perspective, Akismet and
Coral call the same way, plus what only a protocol has:

- ``moderation_protocol_answers_total{protocol, endpoint, code}``: every answer (the requests);
- ``moderation_protocol_duration_seconds{protocol, endpoint}``: the time to answer;
- ``moderation_protocol_timeouts_total{protocol, endpoint}``: no verdict within the wait (or
  Coral's budget): every 503 (no score in time, or the database unavailable), and what a view
  marks with :func:`note`;
- ``moderation_protocol_fail_closed_total{protocol, endpoint}``: answers that keep a comment
  from publication because no verdict came (Coral: ``SYSTEM_WITHHELD``, marked by its view;
  Akismet: every 503, sent with ``X-akismet-error``, which WordPress holds). Perspective's 503 is
  a timeout but not fail-closed: Coral publishes when Perspective fails.

``protocol`` is the blueprint's name (``perspective``, ``akismet``, ``coral``).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, request
from prometheus_client import Counter, Histogram

ANSWERS = Counter(
    "moderation_protocol_answers",
    "Answers of the drop-in protocols, by protocol, endpoint and status code.",
    ["protocol", "endpoint", "code"],
)
SECONDS = Histogram(
    "moderation_protocol_duration_seconds",
    "Time to answer a drop-in protocol's call, by protocol and endpoint.",
    ["protocol", "endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8, 1, 2.5, 5, 10),
)
TIMEOUTS = Counter(
    "moderation_protocol_timeouts",
    "Drop-in protocol calls answered without a verdict in time, by protocol and endpoint.",
    ["protocol", "endpoint"],
)
FAIL_CLOSED = Counter(
    "moderation_protocol_fail_closed",
    "Answers that keep a comment from publication for want of a verdict, by protocol, endpoint.",
    ["protocol", "endpoint"],
)
TIMEOUT = "timeout"
FAILED_CLOSED = "fail_closed"


def note(*outcomes: str) -> None:
    """Mark the request at hand as a timeout and/or a fail-closed answer, for the metrics."""
    g.protocol_outcomes = {*g.get("protocol_outcomes", set()), *outcomes}


def endpoint_name() -> str:
    return (request.endpoint or "unknown").rsplit(".", 1)[-1]


def observe(blueprint: Blueprint, *, unavailable_fails_closed: bool = False) -> None:
    """Count ``blueprint``'s answers (errors and rate limits included) and time them.

    ``unavailable_fails_closed``: the protocol's clients hold a comment answered 503.
    """

    @blueprint.before_request
    def started() -> None:
        g.protocol_started = time.perf_counter()

    @blueprint.after_request
    def count(response: Response) -> Response:
        protocol, endpoint = blueprint.name, endpoint_name()
        ANSWERS.labels(protocol, endpoint, str(response.status_code)).inc()
        if (began := g.get("protocol_started")) is not None:
            SECONDS.labels(protocol, endpoint).observe(time.perf_counter() - began)
        outcomes = set(g.get("protocol_outcomes", set()))
        if response.status_code == 503:
            outcomes.add(TIMEOUT)
            if unavailable_fails_closed:
                outcomes.add(FAILED_CLOSED)
        if TIMEOUT in outcomes:
            TIMEOUTS.labels(protocol, endpoint).inc()
        if FAILED_CLOSED in outcomes:
            FAIL_CLOSED.labels(protocol, endpoint).inc()
        return response
