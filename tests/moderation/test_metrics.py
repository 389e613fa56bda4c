"""/metrics: the counters and histograms of the API and the worker, read with Prometheus' parser.

The app and an RQ worker run in this process (no multiprocess folder), so the samples are the
process's own; each test reads them before and after what it does and checks the difference.
The multiprocess set-up of ``moderation up`` is tested with real processes in
tests/system/test_observability.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from moderation import queue
from tests import helpers
from tests.receivers import Receiver


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The receivers of these tests listen on loopback."""
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Any) -> Samples:
    """Every sample of /metrics, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str) -> float:
    """The sum of a metric over all its labels."""
    return sum(v for (sample, _), v in samples.items() if sample == name)


def test_submissions_are_counted_by_site_and_answer(client: Any, keys: Any) -> None:
    before = scrape(client)
    helpers.submit(client, keys, "A fine comment.")
    helpers.submit(client, keys, "Another one.", site="shop")
    assert (
        client.post(
            "/v1/comments", json={"text": "no name"}, headers=keys.headers("blog")
        ).status_code
        == 422
    )
    assert client.post("/v1/comments", json={"name": "A", "text": "no key"}).status_code == 401
    after = scrape(client)

    def delta(site: str, code: str) -> float:
        name = "moderation_submissions_total"
        return value(after, name, site=site, code=code) - value(before, name, site=site, code=code)

    assert delta("blog", "202") == 1
    assert delta("shop", "202") == 1
    assert delta("blog", "422") == 1
    # Without a valid key the site is not known.
    assert delta("none", "401") == 1
    # Reads are not submissions.
    client.get("/v1/review/queue", headers=keys.headers("blog_moderator"))
    assert sum(
        v for (n, _), v in scrape(client).items() if n == "moderation_submissions_total"
    ) == sum(v for (n, _), v in after.items() if n == "moderation_submissions_total")


def test_verdicts_jobs_and_model_time_are_counted_by_the_worker(
    client: Any, keys: Any, work: Any
) -> None:
    before = scrape(client)
    helpers.submit(client, keys, "Thanks, the second chart helped a lot.")
    insult = helpers.submit(client, keys, "You are a stupid idiot.")
    work()
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("moderation_verdicts_total", status="approved") == 1
    assert (
        delta("moderation_verdicts_total", status="held")
        + delta("moderation_verdicts_total", status="rejected")
        == 1
    )
    response = client.get(f"/v1/comments/{insult}", headers=keys.headers("blog"))
    status, reasons = response.get_json()["status"], response.get_json()["reasons"]
    for reason in reasons:
        assert delta("moderation_verdict_reasons_total", status=status, reason=reason) == 1
    assert delta("moderation_job_duration_seconds_count", job="score_comment", outcome="ok") == 2
    assert delta("moderation_job_duration_seconds_sum", job="score_comment", outcome="ok") > 0
    assert delta("moderation_model_duration_seconds_count", operation="score") == 2
    # A scoring job run again decides nothing and counts no second verdict.
    queue.enqueue_score(client.application.extensions["redis"], insult)
    work()
    again = scrape(client)
    assert value(again, "moderation_verdicts_total", status=status) == value(
        after, "moderation_verdicts_total", status=status
    )


def test_queue_depth_and_oldest_job_age_are_read_at_scrape_time(
    client: Any, keys: Any, work: Any
) -> None:
    empty = scrape(client)
    assert value(empty, "moderation_queue_jobs", queue="score") == 0
    assert value(empty, "moderation_queue_oldest_job_age_seconds", queue="score") == 0
    helpers.submit(client, keys, "First.")
    helpers.submit(client, keys, "Second.")
    waiting = scrape(client)
    assert value(waiting, "moderation_queue_jobs", queue="score") == 2
    assert 0 < value(waiting, "moderation_queue_oldest_job_age_seconds", queue="score") < 60
    assert value(waiting, "moderation_comments", status="pending") == 2
    work()
    drained = scrape(client)
    assert value(drained, "moderation_queue_jobs", queue="score") == 0
    assert value(drained, "moderation_comments", status="pending") == 0


def test_sweeper_reenqueues_are_counted(
    client: Any, keys: Any, runner: Any, redis_url: str
) -> None:
    before = scrape(client)
    helpers.submit(client, keys, "Lost with Redis.")
    Redis.from_url(redis_url).delete("rq:queue:score")
    result = runner.invoke(args=["sweep", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    after = scrape(client)
    name = "moderation_sweeper_reenqueued_total"
    assert value(after, name, kind="comments") - value(before, name, kind="comments") == 1


def test_webhook_failures_are_counted_until_the_delivery_gives_up(
    client: Any, keys: Any, work: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "WEBHOOK_RETRY_INTERVALS", [0])  # two attempts, no waiting
    with Receiver() as receiver:
        receiver.statuses = [500, 503]
        response = client.post(
            "/v1/sites/blog/webhooks",
            json={"url": receiver.url, "events": ["comment.scored"]},
            headers=keys.headers("admin"),
        )
        assert response.status_code == 201, response.get_json()
        before = scrape(client)
        helpers.submit(client, keys, "Thanks, the second chart helped a lot.")
        work()
        after = scrape(client)
    assert len(receiver.requests) == 2
    name = "moderation_webhook_failures_total"
    assert value(after, name, final="no") - value(before, name, final="no") == 1
    assert value(after, name, final="yes") - value(before, name, final="yes") == 1


def test_metrics_need_the_token_when_one_is_set(app_config: dict[str, Any], keys: Any) -> None:
    from moderation import create_app

    client = create_app({**app_config, "METRICS_TOKEN": "s3cret-scrape-token"}).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, keys.headers("admin")):
        refused = client.get("/metrics", headers=headers)
        helpers.assert_error(refused, 401)
        assert "comments" not in refused.get_data(as_text=True)
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert allowed.status_code == 200 and "moderation_" in allowed.get_data(as_text=True)


def test_the_metrics_scheme_is_case_insensitive(app_config: dict[str, Any]) -> None:
    """Issue 17 item 8: ``bearer`` (lower case, RFC 9110) was refused with 401."""
    from moderation import create_app

    client = create_app({**app_config, "METRICS_TOKEN": "s3cret-scrape-token"}).test_client()
    for scheme in ("bearer", "BEARER", "Bearer"):
        answer = client.get("/metrics", headers={"Authorization": f"{scheme} s3cret-scrape-token"})
        assert answer.status_code == 200, scheme
    for header in ("Basic s3cret-scrape-token", "bearer wrong", "bearer", "s3cret-scrape-token"):
        helpers.assert_error(client.get("/metrics", headers={"Authorization": header}), 401)
