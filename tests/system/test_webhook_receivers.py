"""Hostile webhook receivers against the real processes: a receiver that trickles its answer a
byte every few seconds, and one that answers 300 MB.

Redis, the API and one worker run as processes of their own (``tests/system/processes.py``); the
receivers listen on loopback ports, which ``MODERATION_WEBHOOKS_ALLOW_PRIVATE`` lets the worker
reach. Nothing a receiver does may delay another site's verdict or grow the worker's memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests import receivers
from tests.receivers import RawReceiver
from tests.system.processes import Api, RedisServer, Service, Worker

TEXT = "Thanks for the clear write-up, the second chart made it click for me."


class Running:
    """The processes, an admin token, and a submit key per site."""

    def __init__(self, service: Service, api: Api, worker: Worker, admin: str) -> None:
        self.service, self.api, self.worker, self.admin = service, api, worker, admin
        self.keys: dict[str, str] = {}

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        return self.api.http.request(
            method,
            self.api.url + path,
            headers={"Authorization": f"Bearer {key}"},
            timeout=15,
            **kwargs,
        )

    def site(self, name: str) -> str:
        self.keys[name] = self.service.create_site(name)[0]
        return self.keys[name]

    def hook(self, site: str, url: str) -> dict[str, Any]:
        made = self.call(
            "POST",
            f"/v1/sites/{site}/webhooks",
            self.admin,
            json={"url": url, "events": ["comment.scored"]},
        )
        assert made.status_code == 201, made.text
        return made.json()

    def submit(self, site: str, text: str = TEXT) -> str:
        posted = self.call(
            "POST", "/v1/comments", self.keys[site], json={"name": "Reader", "text": text}
        )
        assert posted.status_code == 202, posted.text
        return posted.json()["id"]

    def status(self, site: str, comment_id: str) -> str:
        return self.call("GET", f"/v1/comments/{comment_id}", self.keys[site]).json()["status"]

    def deliveries(self, hook: dict[str, Any]) -> list[dict[str, Any]]:
        return self.call("GET", hook["links"]["deliveries"], self.admin).json()["items"]

    def peak_rss_kb(self) -> int:
        with open(f"/proc/{self.worker.child.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("receivers")
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(directory / "redis"))
        service = stack.enter_context(
            Service(
                directory,
                f"sqlite:///{directory / 'moderation.db'}",
                redis.url,
                webhooks_allow_private="true",
                sweep_after_seconds=1,
            )
        )
        service.cli("db", "upgrade")
        admin = service.cli("keys", "create", "--role", "admin").strip()
        api = service.api(wait=False)
        worker = service.worker()
        api.wait()
        yield Running(service, api, worker, admin)


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.mark.slow
def test_a_trickling_receiver_delays_no_verdict_and_is_cut_off_at_the_deadline(
    running: Running,
) -> None:
    running.site("slowsite")
    running.site("fastsite")
    # One byte every 3 s: no single read waits long, the whole answer would take two minutes.
    with RawReceiver(receivers.trickle(3.0)) as slow:
        hook = running.hook("slowsite", slow.url)
        for _ in range(3):
            running.submit("slowsite")
        wait_for(lambda: slow.requests, 15, "the first delivery reaches the slow receiver")
        # While deliveries hang on the receiver, another site's comments get their verdicts.
        started = time.monotonic()
        others = [running.submit("fastsite") for _ in range(5)]
        for comment_id in others:
            wait_for(
                lambda c=comment_id: running.status("fastsite", c) != "pending",
                5,
                "a verdict while a receiver trickles",
            )
        assert time.monotonic() - started < 5
        # Each attempt is cut at the 10 s deadline and recorded, the retry comes later.
        logged = wait_for(
            lambda: [
                d
                for d in running.deliveries(hook)
                if d["log"] and d["log"][0]["error"] and d["log"][0]["error"].startswith("Timeout")
            ],
            40,
            "a timed-out attempt in the log",
        )
    first = logged[0]
    assert first["status"] == "pending" and first["attempts"] >= 1
    assert 9_500 <= first["log"][0]["duration_ms"] < 12_000


@pytest.mark.slow
def test_a_300_mb_answer_does_not_grow_the_worker(running: Running) -> None:
    running.site("bigsite")
    with RawReceiver(receivers.huge(300 * 2**20)) as big:
        hook = running.hook("bigsite", big.url)
        before = running.peak_rss_kb()
        running.submit("bigsite")
        (delivery,) = wait_for(
            lambda: [d for d in running.deliveries(hook) if d["status"] == "delivered"],
            30,
            "the delivery to the 300 MB receiver",
        )
        time.sleep(0.3)
        sent = big.sent
    grew_mb = (running.peak_rss_kb() - before) / 1024
    assert grew_mb < 20, f"the worker's peak memory grew {grew_mb:.0f} MB"
    assert delivery["log"][-1]["status_code"] == 200
    assert "internal" not in str(delivery)
    # The worker hung up after the status line: most of the body was never even sent.
    assert sent < 50 * 2**20
