"""Webhooks: signed deliveries to a real HTTP receiver, through a real RQ worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import func, select

from moderation import create_app, queue, webhooks
from moderation.queue import WEBHOOK_QUEUE, enqueue_score, get_queue
from moderation.storage import Webhook, WebhookDelivery, WebhookEvent, db
from tests import helpers
from tests.receivers import Receiver

COMMENT = {"text": "Thanks, the second chart helped a lot.", "client_id": "c-1"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The receivers of these tests listen on loopback: the setting lets webhooks reach them."""
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once (a burst worker runs no scheduler); two retries, three attempts in all."""
    monkeypatch.setattr(queue, "WEBHOOK_RETRY_INTERVALS", [0, 0])


def register(client: Any, keys: Any, url: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/sites/blog/webhooks", json={"url": url, **body}, headers=keys.headers("admin")
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(client: Any, keys: Any, **fields: Any) -> str:
    return helpers.submit(client, keys, **{**COMMENT, **fields})


def decide(client: Any, keys: Any, comment_id: str, action: str = "approve") -> None:
    helpers.decide(client, keys, comment_id, action, reason="fine")


def deliveries(client: Any, keys: Any, hook: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get(hook["links"]["deliveries"], headers=keys.headers("admin"))
    assert response.status_code == 200
    return response.get_json()["items"]


def test_scored_and_decided_events_are_signed_and_delivered(
    client: Any, keys: Any, work: Any, receiver: Receiver
) -> None:
    hook = register(client, keys, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["events"] == list(webhooks.EVENT_TYPES)
    comment_id = submit(client, keys)
    work()
    decide(client, keys, comment_id, "reject")
    work()

    scored, decided = receiver.events()
    assert scored["type"] == "comment.scored" and decided["type"] == "comment.decided"
    for (headers, body), event in zip(receiver.requests, (scored, decided), strict=True):
        assert webhooks.verify(headers["Moderation-Signature"], body, hook["secret"])
        assert not webhooks.verify(headers["Moderation-Signature"], body, "whsec_wrong")
        assert not webhooks.verify(headers["Moderation-Signature"], body + b" ", hook["secret"])
        assert headers["Moderation-Event-Id"] == event["id"]
        assert headers["Moderation-Event-Type"] == event["type"]
        assert event["site"] == "blog"
        assert event["data"]["comment"]["id"] == comment_id
        assert event["data"]["comment"]["client_id"] == "c-1"
        # Nothing personal leaves through a webhook.
        assert "email" not in json.dumps(event) and "ip_hash" not in json.dumps(event)
    assert scored["data"]["decision"]["actor"] == "policy"
    assert scored["data"]["comment"]["scores"]
    assert decided["data"]["comment"]["status"] == "rejected"
    assert decided["data"]["decision"] == {
        **decided["data"]["decision"],
        "actor": "moderator",
        "action": "reject",
        "note": "fine",
    }
    logged = deliveries(client, keys, hook)
    assert [d["status"] for d in logged] == ["delivered", "delivered"]
    assert [d["event_type"] for d in logged] == ["comment.decided", "comment.scored"]
    assert logged[0]["log"][0]["status_code"] == 200


def test_a_rerun_scoring_job_sends_no_second_event(
    client: Any, keys: Any, work: Any, receiver: Receiver, app: Any
) -> None:
    register(client, keys, receiver.url, events=["comment.scored"])
    comment_id = submit(client, keys)
    work()
    enqueue_score(app.extensions["redis"], comment_id)
    work()
    assert len(receiver.requests) == 1
    session = db.session()
    assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_failed_deliveries_are_retried_then_logged(
    client: Any, keys: Any, work: Any, receiver: Receiver, app: Any, no_backoff: None
) -> None:
    hook = register(client, keys, receiver.url, events=["comment.decided"])
    comment_id = submit(client, keys)
    decide(client, keys, comment_id)
    job = get_queue(app.extensions["redis"], WEBHOOK_QUEUE).jobs[0]
    assert job.func_name == "workers.jobs.deliver_webhook" and job.retries_left == 2
    receiver.statuses = [500, 503]
    work()

    assert len(receiver.requests) == 3
    # Every attempt carries the same event id: a receiver that half-processed one can tell.
    assert len({headers["Moderation-Event-Id"] for headers, _ in receiver.requests}) == 1
    (delivery,) = deliveries(client, keys, hook)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [entry["status_code"] for entry in delivery["log"]] == [500, 503, 200]
    assert delivery["log"][0]["error"].startswith("HTTP 500")


def test_a_delivery_that_never_succeeds_ends_failed(
    client: Any, keys: Any, work: Any, receiver: Receiver, no_backoff: None
) -> None:
    hook = register(client, keys, receiver.url, events=["comment.decided"])
    receiver.statuses = [500, 500, 500]
    decide(client, keys, submit(client, keys))
    work()
    (delivery,) = deliveries(client, keys, hook)
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    failed = client.get(
        hook["links"]["deliveries"],
        query_string={"status": "failed"},
        headers=keys.headers("admin"),
    )
    assert [d["id"] for d in failed.get_json()["items"]] == [delivery["id"]]

    # A redelivery sends the same event again, with a fresh round of retries.
    redeliver = client.post(
        f"{hook['links']['deliveries']}/{delivery['id']}/redeliver", headers=keys.headers("admin")
    )
    assert redeliver.status_code == 202
    work()
    (delivery,) = deliveries(client, keys, hook)
    # The attempts count the new round; the log keeps the earlier ones.
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert [entry["status_code"] for entry in delivery["log"]] == [500, 500, 500, 200]
    assert (
        receiver.requests[-1][0]["Moderation-Event-Id"]
        == receiver.requests[0][0]["Moderation-Event-Id"]
    )


def test_an_unreachable_receiver_is_logged_and_retried_later(
    client: Any, keys: Any, work: Any, app: Any
) -> None:
    closed = Receiver()
    closed.close()
    hook = register(client, keys, closed.url, events=["comment.decided"])
    decide(client, keys, submit(client, keys))
    work()
    (delivery,) = deliveries(client, keys, hook)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert "ConnectionError" in delivery["log"][0]["error"]
    # The retry waits in RQ's schedule (back-off), it does not run at once.
    scheduled = get_queue(app.extensions["redis"], WEBHOOK_QUEUE).scheduled_job_registry
    assert scheduled.get_job_ids() == [f"webhook-{delivery['id']}"]


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: Any, keys: Any, work: Any, receiver: Receiver
) -> None:
    hook = register(client, keys, receiver.url, events=["comment.decided"])
    rotated = client.post(
        hook["links"]["rotate"], json={"grace_seconds": 3600}, headers=keys.headers("admin")
    )
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret"]
    assert new_secret != hook["secret"] and rotated.get_json()["previous_valid_until"]
    decide(client, keys, submit(client, keys))
    work()
    headers, body = receiver.requests[-1]
    assert headers["Moderation-Signature"].count("v1=") == 2
    assert webhooks.verify(headers["Moderation-Signature"], body, new_secret)
    assert webhooks.verify(headers["Moderation-Signature"], body, hook["secret"])

    # Without grace, the old secret stops signing at once.
    again = client.post(
        hook["links"]["rotate"], json={"grace_seconds": 0}, headers=keys.headers("admin")
    )
    newest_secret = again.get_json()["secret"]
    decide(client, keys, submit(client, keys, client_id="c-2"))
    work()
    headers, body = receiver.requests[-1]
    assert headers["Moderation-Signature"].count("v1=") == 1
    assert webhooks.verify(headers["Moderation-Signature"], body, newest_secret)
    assert not webhooks.verify(headers["Moderation-Signature"], body, new_secret)


def test_stale_signatures_are_refused_by_the_recipe() -> None:
    body = b'{"id":"evt_1"}'
    old = webhooks.signature(["whsec_x"], 1_000_000_000, body)
    assert not webhooks.verify(old, body, "whsec_x")


def test_other_sites_events_stay_apart_and_paused_webhooks_get_nothing(
    client: Any, keys: Any, work: Any, receiver: Receiver
) -> None:
    hook = register(client, keys, receiver.url, events=["comment.decided"])
    shop_comment = helpers.submit(client, keys, "Does it ship abroad?", site="shop")
    helpers.decide(client, keys, shop_comment, "approve", moderator="shop_moderator")
    work()
    assert receiver.requests == []

    paused = client.patch(
        hook["links"]["self"], json={"active": False}, headers=keys.headers("admin")
    )
    assert paused.status_code == 200 and paused.get_json()["active"] is False
    decide(client, keys, submit(client, keys))
    work()
    assert receiver.requests == []
    assert deliveries(client, keys, hook) == []


def test_webhook_admin_api_rules(client: Any, keys: Any, receiver: Receiver) -> None:
    hook = register(client, keys, receiver.url)
    shown = client.get(hook["links"]["self"], headers=keys.headers("admin")).get_json()
    assert "secret" not in shown and shown["url"] == receiver.url
    listed = client.get("/v1/sites/blog/webhooks", headers=keys.headers("admin")).get_json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    for name in ("blog_moderator", "blog"):
        assert client.get(hook["links"]["self"], headers=keys.headers(name)).status_code == 403
        denied = client.post(
            "/v1/sites/blog/webhooks", json={"url": receiver.url}, headers=keys.headers(name)
        )
        assert denied.status_code == 403
    for body in (
        {"url": "ftp://example.org/hook"},
        {"url": "not a url"},
        {"url": receiver.url, "events": ["comment.deleted"]},
        {"url": receiver.url, "events": []},
    ):
        bad = client.post("/v1/sites/blog/webhooks", json=body, headers=keys.headers("admin"))
        assert bad.status_code == 422, body
    for missing in ("/v1/webhooks/999999", f"/v1/webhooks/{10**20}"):
        assert client.get(missing, headers=keys.headers("admin")).status_code == 404
    too_far = client.get(
        hook["links"]["deliveries"], query_string={"before": 10**20}, headers=keys.headers("admin")
    )
    assert too_far.status_code == 422
    assert client.delete(hook["links"]["self"], headers=keys.headers("admin")).status_code == 204
    assert client.get(hook["links"]["self"], headers=keys.headers("admin")).status_code == 404


def test_a_delivery_whose_enqueue_was_lost_is_swept(
    client: Any, keys: Any, work: Any, receiver: Receiver, app: Any, runner: Any
) -> None:
    register(client, keys, receiver.url)
    live = app.extensions["redis"]
    # Nothing listens on port 1: every enqueue of this request fails, as when Redis is down.
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        decide(client, keys, submit(client, keys))
    finally:
        app.extensions["redis"] = live
    work()
    assert receiver.requests == []
    result = runner.invoke(args=["sweep", "--older-than", "0"])
    assert result.exit_code == 0 and "1 webhook deliveries" in result.output
    work()
    # The comment was decided before it was scored: one event, comment.decided.
    assert [event["type"] for event in receiver.events()] == ["comment.decided"]


def test_purge_removes_events_and_deliveries_with_their_comments(
    client: Any, keys: Any, work: Any, receiver: Receiver, runner: Any
) -> None:
    hook = register(client, keys, receiver.url)
    comment_id = submit(client, keys)
    work()
    decide(client, keys, comment_id)
    work()
    assert len(deliveries(client, keys, hook)) == 2
    result = runner.invoke(args=["purge", "--older-than", "0m"])
    assert result.exit_code == 0, result.output
    assert deliveries(client, keys, hook) == []
    assert db.session().scalar(select(func.count()).select_from(WebhookEvent)) == 0
    # The webhook itself stays.
    assert client.get(hook["links"]["self"], headers=keys.headers("admin")).status_code == 200


INTERNAL_URLS = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:6379/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.5/hook",
]


@pytest.fixture
def strict_client(app_config: dict[str, Any], app: Any) -> Any:
    """A client of the app as it runs by default: private networks not allowed."""
    return create_app({**app_config, "WEBHOOKS_ALLOW_PRIVATE": False}).test_client()


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused_at_registration_with_a_clear_422(
    strict_client: Any, keys: Any, url: str
) -> None:
    made = strict_client.post(
        "/v1/sites/blog/webhooks", json={"url": url}, headers=keys.headers("admin")
    )
    body = helpers.assert_error(made, 422)
    assert body["message"].startswith("This URL may not receive webhooks: ")
    assert "webhooks may not reach it" in body["errors"]["json"]["url"][0]
    assert helpers.count(Webhook) == 0


def test_a_url_changed_to_an_internal_address_is_refused(strict_client: Any, keys: Any) -> None:
    hook = strict_client.post(
        "/v1/sites/blog/webhooks",
        json={"url": "https://hooks.example/in"},
        headers=keys.headers("admin"),
    ).get_json()
    changed = strict_client.patch(
        hook["links"]["self"], json={"url": "http://127.0.0.1/"}, headers=keys.headers("admin")
    )
    assert helpers.assert_error(changed, 422)["message"].count("loopback") == 1
    shown = strict_client.get(hook["links"]["self"], headers=keys.headers("admin")).get_json()
    assert shown["url"] == "https://hooks.example/in"


def test_the_setting_allows_private_networks_but_never_link_local(client: Any, keys: Any) -> None:
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.5/hook"):
        assert register(client, keys, url)["url"] == url
    refused = client.post(
        "/v1/sites/blog/webhooks",
        json={"url": "http://169.254.169.254/"},
        headers=keys.headers("admin"),
    )
    assert "link-local" in helpers.assert_error(refused, 422)["message"]


def test_a_site_has_at_most_ten_webhooks(client: Any, keys: Any, app: Any) -> None:
    most = app.config["WEBHOOKS_PER_SITE"]
    for number in range(most):
        register(client, keys, f"https://hooks.example/{number}")
    extra = client.post(
        "/v1/sites/blog/webhooks",
        json={"url": "https://hooks.example/extra"},
        headers=keys.headers("admin"),
    )
    assert helpers.assert_error(extra, 409)["message"] == (
        f"A site has at most {most} webhooks; delete one to add another."
    )
    assert helpers.count(Webhook) == most
    # Another site has its own allowance.
    other = client.post(
        "/v1/sites/shop/webhooks",
        json={"url": "https://hooks.example/shop"},
        headers=keys.headers("admin"),
    )
    assert other.status_code == 201
