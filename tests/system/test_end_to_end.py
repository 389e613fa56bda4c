"""The whole path with real processes, over HTTP only: submit, queue, score, review.

Redis, the API under gunicorn and a worker run as separate processes
(``tests/system/processes.py``) on SQLite in a temporary folder; the schema, the site and its keys
are made with the ``moderation`` command, as an operator would. This is the "Done when" of the
end-to-end issue as a test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from models.labels import LABELS
from tests.system.processes import Api, RedisServer, Service

CLEAN = "Thanks for the clear write-up, the second chart made it click for me."
TOXIC = "You are a stupid worthless idiot, shut up or I will find you and kill you."


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str, str]]:
    """Redis, the API and a worker; the submit key and moderator token of site ``blog``."""
    directory = tmp_path_factory.mktemp("end-to-end")
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(directory / "redis"))
        service = stack.enter_context(
            Service(directory, f"sqlite:///{directory / 'moderation.db'}", redis.url)
        )
        service.cli("db", "upgrade")
        submit_key, moderator_token = service.create_site("blog")
        assert submit_key.startswith("msk_") and moderator_token.startswith("mmt_")
        api = service.api(wait=False)
        service.worker()
        api.wait()
        yield api, submit_key, moderator_token


def call(api: Api, method: str, path: str, key: str, **kwargs: Any) -> Any:
    return api.http.request(
        method, api.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=10, **kwargs
    )


def assert_scored(comment: dict[str, Any]) -> None:
    assert comment["decided_by"] == "policy"
    assert set(comment["scores"]) == set(LABELS)
    assert all(0.0 <= p <= 1.0 for p in comment["scores"].values())
    assert set(comment["model_versions"]) == {"spam", "toxicity", "encoder"}  # encoder on
    assert all(comment["model_versions"].values())


@pytest.mark.slow
def test_clean_comment_gets_its_verdict_within_a_second(running: tuple[Api, str, str]) -> None:
    api, key, _ = running
    posted = call(api, "POST", "/v1/comments", key, json={"name": "Ada", "text": CLEAN})
    accepted = time.monotonic()
    assert posted.status_code == 202
    body = posted.json()
    assert body["status"] == "pending"
    assert posted.headers["Location"] == body["links"]["self"] == f"/v1/comments/{body['id']}"

    while True:
        comment = call(api, "GET", body["links"]["self"], key).json()
        if comment["status"] != "pending" or time.monotonic() - accepted > 1.0:
            break
        time.sleep(0.02)
    # Whether the models approve it is theirs to test (test_models_*); here: a verdict, in time.
    assert comment["status"] in {"approved", "held", "rejected"}, "no verdict within a second"
    assert_scored(comment)


@pytest.mark.slow
def test_toxic_comment_is_held_with_reasons_and_a_moderator_decides(
    running: tuple[Api, str, str],
) -> None:
    api, key, moderator = running
    posted = call(api, "POST", "/v1/comments?wait=2000", key, json={"name": "Troll", "text": TOXIC})
    assert posted.status_code == 200, posted.json()
    comment = posted.json()
    assert comment["status"] in {"held", "rejected"}
    assert comment["reasons"] and set(comment["reasons"]) <= set(LABELS)
    assert_scored(comment)

    queue = call(api, "GET", f"/v1/review/queue?status={comment['status']}", moderator).json()
    listed = {item["id"]: item for item in queue["items"]}
    assert comment["id"] in listed and listed[comment["id"]]["text"] == TOXIC
    # A site key may submit and read, not review.
    assert call(api, "GET", "/v1/review/queue", key).status_code == 403

    decided = call(
        api,
        "POST",
        comment["links"]["decision"],
        moderator,
        json={"action": "reject", "reason": "threat against another reader"},
    )
    assert decided.status_code == 201
    history = call(api, "GET", comment["links"]["history"], moderator).json()
    steps = [(d["actor"], d["action"], d["to_status"]) for d in history["decisions"]]
    assert steps == [
        ("policy", "score", comment["status"]),
        ("moderator", "reject", "rejected"),
    ]
    assert history["decisions"][-1]["note"] == "threat against another reader"
    final = call(api, "GET", comment["links"]["self"], key).json()
    assert final["status"] == "rejected" and final["decided_by"] == "moderator"


@pytest.mark.slow
def test_wait_answers_200_with_the_verdict(running: tuple[Api, str, str]) -> None:
    api, key, _ = running
    started = time.monotonic()
    posted = call(api, "POST", "/v1/comments?wait=2000", key, json={"name": "Bo", "text": CLEAN})
    assert posted.status_code == 200
    assert time.monotonic() - started < 2.0
    comment = posted.json()
    assert comment["status"] in {"approved", "held", "rejected"}
    assert_scored(comment)
