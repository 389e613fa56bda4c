"""Metrics per protocol: answers by code, latency, time-outs and fail-closed answers (issue 16)."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.compat.coral_secrets import add_secret
from moderation.storage import Site, db
from tests.moderation.compat.conftest import BLOG
from tests.moderation.compat.coral_schema import phase_request

SECRET = "ems_" + "3f" * 24


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_protocol_counts_its_answers_timeouts_and_fail_closed(
    app: Any, client: Any, keys: Any, akismet_key: str
) -> None:
    answers = "moderation_protocol_answers_total"
    before = {
        "perspective": sample(answers, protocol="perspective", endpoint="analyze", code="400"),
        "akismet": sample(answers, protocol="akismet", endpoint="verify_key", code="200"),
        "coral": sample(answers, protocol="coral", endpoint="moderate", code="200"),
        "timeouts": sample(
            "moderation_protocol_timeouts_total", protocol="coral", endpoint="moderate"
        ),
        "closed": sample(
            "moderation_protocol_fail_closed_total", protocol="coral", endpoint="moderate"
        ),
        "seconds": sample(
            "moderation_protocol_duration_seconds_count", protocol="akismet", endpoint="verify_key"
        ),
    }
    bad = {"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}
    assert (
        client.post(f"/v1alpha1/comments:analyze?key={keys.plain['blog']}", json=bad).status_code
        == 400
    )
    form = {"key": akismet_key, "blog": BLOG}
    assert client.post("/1.1/verify-key", data=form).get_data(as_text=True) == "valid"
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        add_secret(session, site, SECRET, app.config["SECRET_KEY"])
    body = phase_request("<p>no worker runs: no verdict in time</p>")
    headers = {"Content-Type": "application/json", "X-Coral-Signature": sign(SECRET, body)}
    coral = client.post(
        "/v1/integrations/coral/moderate?site=blog&timeout=100", data=body, headers=headers
    )
    assert coral.get_json() == {"status": "SYSTEM_WITHHELD"}
    assert (
        sample(answers, protocol="perspective", endpoint="analyze", code="400")
        == before["perspective"] + 1
    )
    assert (
        sample(answers, protocol="akismet", endpoint="verify_key", code="200")
        == before["akismet"] + 1
    )
    assert sample(answers, protocol="coral", endpoint="moderate", code="200") == before["coral"] + 1
    assert (
        sample("moderation_protocol_timeouts_total", protocol="coral", endpoint="moderate")
        == before["timeouts"] + 1
    )
    assert (
        sample("moderation_protocol_fail_closed_total", protocol="coral", endpoint="moderate")
        == before["closed"] + 1
    )
    assert (
        sample(
            "moderation_protocol_duration_seconds_count", protocol="akismet", endpoint="verify_key"
        )
        == before["seconds"] + 1
    )
