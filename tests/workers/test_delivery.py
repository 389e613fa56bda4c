"""One webhook delivery through a real RQ worker to a real receiver on a loopback port: the attempt
is on record before the request leaves, the retry cap holds whoever re-sends it, the receiver's
answer is never kept beyond its status line, and the address is checked again when sending."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from moderation import queue
from moderation.storage import DeliveryStatus, WebhookDelivery, db
from tests import helpers
from tests.receivers import Receiver
from workers.context import current

TEXT = "Thanks, the second chart helped a lot."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The receivers listen on loopback: the setting lets webhooks register and reach them."""
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(answer_body=b"db_password=hunter2 internal stack trace") as server:
        yield server


def register(client: Any, keys: Any, url: str) -> dict[str, Any]:
    made = client.post(
        "/v1/sites/blog/webhooks",
        json={"url": url, "events": ["comment.decided"]},
        headers=keys.headers("admin"),
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def decided_comment(client: Any, keys: Any) -> None:
    helpers.decide(client, keys, helpers.submit(client, keys, TEXT), "approve", reason="fine")


def only_delivery(client: Any, keys: Any, hook: dict[str, Any]) -> dict[str, Any]:
    (delivery,) = client.get(hook["links"]["deliveries"], headers=keys.headers("admin")).get_json()[
        "items"
    ]
    return delivery


def test_the_attempt_is_committed_before_the_request_is_sent(
    client: Any, keys: Any, work: Any, receiver: Receiver
) -> None:
    seen: list[tuple[int, str | None]] = []
    handler = receiver.server.RequestHandlerClass
    original = handler.do_POST

    def do_post(self: Any) -> None:
        # What another process reading the database sees while the request is in flight.
        db.remove()
        (row,) = db.session().query(WebhookDelivery).all()
        seen.append((row.attempts, row.log[-1]["error"]))
        db.remove()
        original(self)

    handler.do_POST = do_post  # type: ignore[method-assign]
    hook = register(client, keys, receiver.url)
    decided_comment(client, keys)
    work()
    assert seen == [(1, queue.ATTEMPT_IN_PROGRESS)]
    delivery = only_delivery(client, keys, hook)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert len(delivery["log"]) == 1 and delivery["log"][0]["error"] is None


def test_a_delivery_whose_attempts_are_used_up_fails_without_being_sent(
    client: Any, keys: Any, work: Any, receiver: Receiver, app: Any
) -> None:
    hook = register(client, keys, receiver.url)
    connection = app.extensions["redis"]
    decided_comment(client, keys)
    # What a worker killed during the last attempt leaves: every attempt counted, no job left.
    queue.get_queue(connection, queue.WEBHOOK_QUEUE).empty()
    with db.transaction() as session:
        session.execute(
            update(WebhookDelivery).values(attempts=len(queue.WEBHOOK_RETRY_INTERVALS) + 1)
        )
    # The sweeper (or anything else) sends it again: a fresh RQ job with all its retries.
    assert queue.sweep_deliveries(db.session(), connection, older_than_seconds=0) == 1
    work()
    assert receiver.requests == []
    delivery = only_delivery(client, keys, hook)
    assert delivery["status"] == DeliveryStatus.FAILED.value
    assert delivery["log"][-1]["error"].startswith("gave up after 7 attempts")


def test_the_answer_is_logged_by_its_status_line_only(
    client: Any, keys: Any, work: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "WEBHOOK_RETRY_INTERVALS", [0])
    receiver.statuses = [500]
    hook = register(client, keys, receiver.url)
    decided_comment(client, keys)
    work()
    delivery = only_delivery(client, keys, hook)
    assert [entry["status_code"] for entry in delivery["log"]] == [500, 200]
    assert delivery["log"][0]["error"] == "HTTP 500"
    assert delivery["log"][0]["status_line"] == "HTTP/1.0 500 Internal Server Error"
    assert "hunter2" not in str(delivery) and "stack trace" not in str(delivery)


def test_the_address_is_checked_again_when_the_delivery_is_sent(
    client: Any, keys: Any, work: Any, receiver: Receiver
) -> None:
    # Registered while private networks were allowed (or while the name resolved elsewhere);
    # the worker does not allow them: nothing reaches the receiver, the log says why.
    hook = register(client, keys, receiver.url)
    decided_comment(client, keys)
    current().webhooks_allow_private = False
    work()
    assert receiver.connections == 0
    delivery = only_delivery(client, keys, hook)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["log"][0]["error"].startswith("Refused: 127.0.0.1 is a loopback address")


def test_a_failed_attempt_is_one_log_line_with_its_reason(
    client: Any,
    keys: Any,
    work: Any,
    receiver: Receiver,
    app: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 17 item 8: each failed attempt logged RQ's whole traceback of our own raise."""
    from rq.serializers import JSONSerializer

    from workers.delivery_pool import DeliveryWorker

    receiver.statuses = [500]
    register(client, keys, receiver.url)
    decided_comment(client, keys)  # `work` set the worker's context up; the pool's worker runs
    connection = app.extensions["redis"]
    worker = DeliveryWorker(
        [queue.get_queue(connection, queue.WEBHOOK_QUEUE)],
        connection=connection,
        serializer=JSONSerializer,
    )
    with caplog.at_level("INFO"):
        worker.work(burst=True)
    assert len(receiver.requests) == 1
    failures = [record for record in caplog.records if "failed" in record.getMessage()]
    assert [record.getMessage() for record in failures] == [failures[0].getMessage()] and failures[
        0
    ].getMessage().endswith("will retry: HTTP 500")
    assert not any(
        record.exc_info or "Traceback" in record.getMessage() for record in caplog.records
    )
