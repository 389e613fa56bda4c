"""``moderation --log-format json up`` as an operator runs it: one scrape, every process; JSON logs.

The API's gunicorn processes and the worker are separate processes; ``up`` gives them one
PROMETHEUS_MULTIPROC_DIR, so the API's /metrics must show what the worker counted (a verdict, a
job's time, the model's time). Every line the service logs is one JSON object, and the request id
sent with a comment is on the log line of the job that scored it, in the worker's process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.system.processes import Child, free_port, log_tail, wait_until

pytestmark = pytest.mark.slow

REQUEST_ID = "trace-5f0c2a9e41b7"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Child, str, str, Path]]:
    """``moderation --log-format json up`` on a fresh state folder: process, URL, key, folder."""
    state = tmp_path_factory.mktemp("observability") / "var"
    # Samples of an earlier run left behind: `up` must start from an empty folder.
    (state / "metrics").mkdir(parents=True)
    (state / "metrics" / "counter_4242.db").write_bytes(b"stale")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "MODERATION_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}
        and not name.startswith("MODERATION_TEST")
    }
    env.update({"MODERATION_STATE_DIR": str(state), "PYTHONUNBUFFERED": "1"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = state.parent / "up.log"
    child = Child(
        [sys.executable, "-m", "moderation", "--log-format", "json", "up", "--port", str(port)],
        log,
        env,
    )
    try:
        wait_until(lambda: "site 'default' key" in log.read_text(), "moderation up", 90, child)
        key = re.search(r"msk_[A-Za-z0-9_-]+", log.read_text())
        assert key is not None
        wait_until(lambda: worker_ready(log), "the worker", 90, child)
        yield child, url, key.group(0), state
    finally:
        child.signal(signal.SIGINT, group=False)
        child.stop(timeout=20)


def worker_ready(log: Path) -> bool:
    return "models loaded" in log.read_text()


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The log lines that are JSON objects (``up``'s own banner is plain text on stdout)."""
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_one_scrape_shows_the_api_and_the_worker_and_logs_carry_the_request_id(
    up: tuple[Child, str, str, Path],
) -> None:
    child, url, key, state = up
    assert not (state / "metrics" / "counter_4242.db").exists()
    response = requests.post(
        f"{url}/v1/comments?wait=5000",
        json={"name": "Bob", "text": "You are a stupid idiot."},
        headers={"Authorization": f"Bearer {key}", "X-Request-Id": REQUEST_ID},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-Id"] == REQUEST_ID
    comment = response.json()

    # The worker's samples land a moment after its verdict is announced.
    def worker_counted() -> bool:
        samples = scrape(url)
        job = (
            "moderation_job_duration_seconds_count",
            (("job", "score_comment"), ("outcome", "ok")),
        )
        return samples.get(job, 0) == 1

    wait_until(worker_counted, "the worker's samples in /metrics", 10, child)
    samples = scrape(url)
    submitted = ("moderation_submissions_total", (("code", "200"), ("site", "default")))
    assert samples[submitted] == 1
    verdict = ("moderation_verdicts_total", (("status", comment["status"]),))
    assert samples[verdict] == 1
    for reason in comment["reasons"]:
        key_ = (
            "moderation_verdict_reasons_total",
            (("reason", reason), ("status", comment["status"])),
        )
        assert samples[key_] == 1
    assert samples[("moderation_model_duration_seconds_count", (("operation", "score"),))] == 1
    assert samples[("moderation_queue_jobs", (("queue", "score"),))] == 0
    assert samples[("moderation_comments", (("status", comment["status"]),))] == 1
    # Files of more than one process: the gunicorn process that answered and the worker.
    writers = {path.stem.rsplit("_", 1)[-1] for path in (state / "metrics").glob("*.db")}
    assert len(writers) >= 2, sorted((state / "metrics").iterdir())

    lines = json_lines(child.log)
    assert lines, log_tail(child.log)
    jobs = [line for line in lines if line.get("job") == "score_comment"]
    assert [line["request_id"] for line in jobs] == [REQUEST_ID], log_tail(child.log)
    assert jobs[0]["job_id"] == f"score-{comment['id']}" and jobs[0]["outcome"] == "ok"
    # gunicorn's own error log is in the same format.
    assert any(line["logger"] == "gunicorn.error" for line in lines), log_tail(child.log)
    # Nothing else the service logged is a plain line (up's banner goes to stdout as text).
    banner = ("moderation is up", "  ", "Ctrl-C", "stopping")
    plain = [
        line
        for line in child.log.read_text().splitlines()
        if line and not line.startswith("{") and not line.startswith(banner)
    ]
    assert plain == [], plain
