"""Structured logs and the request id: from the API's answer into the job's meta and log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from moderation import logs
from moderation.queue import score_job_id
from tests import helpers


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Log in JSON to the captured stderr for the test; ``read()`` parses every line since."""
    logs.configure("json")

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]

    yield read
    logs.unconfigure()


def test_the_callers_request_id_is_echoed_and_a_missing_one_is_made(client: Any, keys: Any) -> None:
    given = client.get("/healthz", headers={"X-Request-Id": "trace-4bf92f3577b34da6"})
    assert given.headers["X-Request-Id"] == "trace-4bf92f3577b34da6"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-Id"]) == 32
    assert made.headers["X-Request-Id"] != client.get("/healthz").headers["X-Request-Id"]
    # An unusable id (too long, spaces) is replaced, not refused; errors carry an id too.
    odd = client.post("/v1/comments", json={}, headers={"X-Request-Id": "x" * 200})
    assert odd.status_code == 401 and len(odd.headers["X-Request-Id"]) == 32
    spaced = client.get("/healthz", headers={"X-Request-Id": "two words"})
    assert spaced.headers["X-Request-Id"] != "two words"


def test_the_request_id_goes_into_the_job_and_its_log_lines(
    client: Any, keys: Any, work: Any, app: Any, json_logs: Any
) -> None:
    response = client.post(
        "/v1/comments",
        json={"name": "Reader", "text": "A clear and useful post."},
        headers={**keys.headers("blog"), "X-Request-Id": "req-0af7651916cd43dd"},
    )
    assert response.status_code == 202
    assert response.headers["X-Request-Id"] == "req-0af7651916cd43dd"
    comment_id = response.get_json()["id"]
    job = Job.fetch(
        score_job_id(comment_id), connection=app.extensions["redis"], serializer=JSONSerializer
    )
    assert job.meta["request_id"] == "req-0af7651916cd43dd"
    other = helpers.submit(client, keys, "Another comment, another request.")
    json_logs()  # what the requests logged so far is not under test
    work()
    lines = json_logs()

    done = [line for line in lines if line.get("job") == "score_comment"]
    assert {line["job_id"] for line in done} == {score_job_id(comment_id), score_job_id(other)}
    mine = [line for line in done if line["job_id"] == score_job_id(comment_id)]
    assert mine[0]["request_id"] == "req-0af7651916cd43dd"
    assert mine[0]["outcome"] == "ok" and mine[0]["level"] == "INFO"
    theirs = [line for line in done if line["job_id"] == score_job_id(other)]
    assert theirs[0]["request_id"] not in (None, "req-0af7651916cd43dd")
    # Every line is one JSON object with the fields a collector indexes.
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_json_lines_keep_extras_and_exceptions(json_logs: Any) -> None:
    log = logging.getLogger("moderation.test")
    with logs.job_context("score-x", {"request_id": "r-1"}):
        try:
            raise ValueError("a broken model")
        except ValueError:
            log.exception("scoring %s failed", "c-1", extra={"comment_id": "c-1"})
    (line,) = [entry for entry in json_logs() if entry["logger"] == "moderation.test"]
    assert line["message"] == "scoring c-1 failed" and line["level"] == "ERROR"
    assert (
        line["comment_id"] == "c-1" and line["job_id"] == "score-x" and line["request_id"] == "r-1"
    )
    assert "ValueError: a broken model" in line["exception"]
    # Outside a job, no ids linger.
    log.warning("later")
    (later,) = [entry for entry in json_logs() if entry["logger"] == "moderation.test"]
    assert "request_id" not in later and "job_id" not in later


def test_an_unknown_log_format_is_refused_at_start_up(runner: Any) -> None:
    from moderation import config
    from moderation.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="MODERATION_LOG_FORMAT"):
        config.finalize({**config.from_environment({}), "LOG_FORMAT": "xml"})
