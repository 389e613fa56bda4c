"""The shared fields of the schemas: times that overflow in UTC, strict booleans, PUT bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import assert_error

# Valid ISO 8601 with an offset, yet outside years 1-9999 once in UTC (was OverflowError, a 500).
OUT_OF_RANGE = [
    ("since", "0001-01-01T17:44:58+18:22"),
    ("until", "9999-12-31T23:59:59-05:00"),
]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        (path, name, value)
        for path in ("/v1/stats", "/v1/review/queue")
        for name, value in OUT_OF_RANGE
    ]
    + [("/v1/feedback", "since", OUT_OF_RANGE[0][1])],
)
def test_times_outside_the_utc_calendar_are_422(
    client: Any, keys: Any, path: str, name: str, value: str
) -> None:
    response = client.get(path, query_string={name: value}, headers=keys.headers("admin"))
    body = assert_error(response, 422)
    assert name in body["errors"]["query"], body


def test_times_at_the_edge_of_the_calendar_still_work(client: Any, keys: Any) -> None:
    query = {"since": "0001-01-01T00:00:00+00:00", "until": "9999-12-31T23:59:59+00:00"}
    response = client.get("/v1/stats", query_string=query, headers=keys.headers("admin"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == 0


def policy_of(client: Any, keys: Any) -> dict[str, Any]:
    response = client.get("/v1/sites/blog/policy", headers=keys.headers("admin"))
    assert response.status_code == 200
    return response.get_json()


def test_put_policy_without_a_body_is_422_and_keeps_the_settings(client: Any, keys: Any) -> None:
    headers = keys.headers("admin")
    set_ = client.put("/v1/sites/blog/policy", json={"premoderation": True}, headers=headers)
    assert set_.status_code == 200, set_.get_json()
    before = policy_of(client, keys)
    assert_error(client.put("/v1/sites/blog/policy", headers=headers), 422)
    assert policy_of(client, keys) == before
    assert before["effective"]["premoderation"] is True


@pytest.mark.parametrize("value", [0, 1, "off", "on", "true", "yes", "1", None])
def test_booleans_take_only_true_and_false(client: Any, keys: Any, value: Any) -> None:
    headers = keys.headers("admin")
    before = policy_of(client, keys)
    for method in (client.put, client.patch):
        response = method("/v1/sites/blog/policy", json={"premoderation": value}, headers=headers)
        assert "premoderation" in assert_error(response, 422)["errors"]["json"]
    assert policy_of(client, keys) == before


def test_webhook_active_takes_only_true_and_false(client: Any, keys: Any) -> None:
    body = {"url": "https://hooks.example/in", "active": "off"}
    response = client.post("/v1/sites/blog/webhooks", json=body, headers=keys.headers("admin"))
    assert "active" in assert_error(response, 422)["errors"]["json"]
