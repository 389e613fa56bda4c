"""A site's full day, with real processes, through HTTP and the ``moderation`` command.

Redis, the API under gunicorn and a worker run as separate processes on SQLite. The site starts
on small models trained for the test (the registry adopts them as its baseline), turns on
pre-moderation in the morning, receives comments all day (among them a hotel brand's disguised
advertising the models do not know), and its moderator clears the queue with bulk decisions.
In the evening the operator exports the feedback, retrains, registers and promotes the new spam
model; the running worker switches to it without a restart and the next advert is caught by the
new version, which the comment's scores name.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.moderation.learning.test_learning import FINE, SAMPLE, SPAM, data_dir
from tests.system.processes import Api, RedisServer, Service

pytestmark = pytest.mark.slow

# 200 comments decided in the afternoon, then the evening's 50: the held-out share, 25 of each
# class, enough for the promotion gate to tell (models.evaluate.gate.MIN_POSITIVES).
AFTERNOON = SPAM[:100] + FINE[:100]
EVENING = SPAM[100:] + FINE[100:]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The service running on baseline models, with site ``blog``'s keys and an admin token."""
    directory = tmp_path_factory.mktemp("site-day")
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(directory / "redis"))
        service = stack.enter_context(
            Service(
                directory,
                f"sqlite:///{directory / 'moderation.db'}",
                redis.url,
                models_dir=directory / "baseline",
                model_check_seconds=0.5,
            )
        )
        # The SpamAssassin corpus is fetched apart (npm, docs/learning.md); a checkout without
        # it still runs the day, and every other source of the shipped models is checked.
        train = ["train", "--data", str(data_dir()), "--sample", str(SAMPLE),
                 "--allow-missing", "spamassassin-public-corpus"]  # fmt: skip
        service.cli(*train, "--out", str(directory / "baseline"), timeout=600)
        service.cli("db", "upgrade")
        submit_key, moderator_token = service.create_site("blog")
        admin_token = service.cli("keys", "create", "--role", "admin").strip()
        api = service.api(wait=False)
        service.worker()
        api.wait()
        yield {
            "service": service,
            "api": api,
            "submit": submit_key,
            "moderator": moderator_token,
            "admin": admin_token,
            "directory": directory,
            "train": train,
        }


def call(api: Api, method: str, path: str, key: str, **kwargs: Any) -> Any:
    return api.http.request(
        method, api.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=10, **kwargs
    )


def verdicts(site: dict[str, Any], ids: list[str], timeout: float = 60) -> list[dict[str, Any]]:
    """Each comment once the worker has decided it."""
    deadline = time.monotonic() + timeout
    for comment_id in ids:
        while True:
            comment = call(site["api"], "GET", f"/v1/comments/{comment_id}", site["submit"]).json()
            if comment["status"] != "pending":
                break
            assert time.monotonic() < deadline, site["service"].logs()
            time.sleep(0.05)
    return [call(site["api"], "GET", f"/v1/comments/{i}", site["submit"]).json() for i in ids]


def submit(site: dict[str, Any], texts: list[str]) -> list[str]:
    ids = []
    for number, text in enumerate(texts):
        body = {"name": f"Guest {number}", "text": text, "thread": {"id": "summer-trips"}}
        posted = call(site["api"], "POST", "/v1/comments", site["submit"], json=body)
        assert posted.status_code == 202, posted.text
        ids.append(posted.json()["id"])
    return ids


def bulk(site: dict[str, Any], ids: list[str], action: str) -> None:
    body = {"ids": ids, "action": action, "reason": "end of shift"}
    done = call(site["api"], "POST", "/v1/review/decisions", site["moderator"], json=body)
    assert done.status_code == 200, done.text
    assert done.json()["decided"] == ids


def test_a_sites_full_day(site: dict[str, Any]) -> None:
    api, service, directory = site["api"], site["service"], site["directory"]

    # Morning: the admin turns on pre-moderation; the change is audited.
    changed = call(api, "PATCH", "/v1/sites/blog/policy", site["admin"],
                   json={"premoderation": True})  # fmt: skip
    assert changed.status_code == 200, changed.text
    changes = call(api, "GET", "/v1/sites/blog/policy/changes", site["admin"]).json()
    assert changes[-1]["new"]["premoderation"] is True

    # All day: comments arrive and wait in the queue.
    texts = AFTERNOON + EVENING
    ids = dict(zip(texts, submit(site, texts), strict=True))
    decided = verdicts(site, list(ids.values()))
    assert all(c["status"] == "held" and "premoderation" in c["reasons"] for c in decided)
    baseline = decided[0]["model_versions"]["spam"]
    queue = call(api, "GET", "/v1/review/queue?limit=200", site["moderator"]).json()
    assert queue["counts"]["held"] == len(texts)
    advert_scores = [c["scores"]["spam"] for c, t in zip(decided, texts, strict=True) if t in SPAM]

    # The moderator clears the queue in bulk: adverts are spam, the rest is fine.
    for batch in (AFTERNOON, EVENING):
        bulk(site, [ids[t] for t in batch if t in SPAM], "spam")
        bulk(site, [ids[t] for t in batch if t in FINE], "not_spam")
    history = call(api, "GET", f"/v1/comments/{ids[SPAM[0]]}/history", site["moderator"]).json()
    assert [d["actor"] for d in history["decisions"]] == ["policy", "moderator"]

    # Evening: export the feedback (the held-out share stays out), retrain, register, promote.
    feedback = directory / "feedback.jsonl"
    service.cli("feedback", "export", "--out", str(feedback))
    exported = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert sorted(r["text"] for r in exported) == sorted(AFTERNOON)
    over_http = call(api, "GET", "/v1/feedback?limit=1000", site["admin"]).json()["items"]
    assert over_http == exported

    retrained = directory / "retrained"
    service.cli(*site["train"], "--feedback", str(feedback), "--out", str(retrained), timeout=600)
    registered = [
        json.loads(line) for line in service.cli("models", "register", str(retrained)).splitlines()
    ]
    spam = next(r for r in registered if r["name"] == "spam")
    assert spam["status"] == "candidate"
    assert spam["holdout"]["rows"] == len(EVENING)
    assert spam["holdout"]["score"] > spam["holdout"]["active_score"]
    promoted = json.loads(service.cli("models", "promote", "spam", spam["version"]))
    assert promoted["active"]["version"] == baseline
    listed = service.cli("models", "list")
    assert f"spam\t{spam['version']}\tactive" in listed
    assert f"spam\t{baseline}\tretired" in listed

    # The same worker, not restarted, scores the next advert with the new version.
    late = "We stayed at Glimmerstone lodge near the pier for 9 nights and loved every minute."
    (comment,) = verdicts(site, submit(site, [late]))
    assert comment["model_versions"]["spam"] == spam["version"]
    assert comment["scores"]["spam"] > max(advert_scores)
    assert "spam" in comment["reasons"]
