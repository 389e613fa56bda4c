"""A thread a moderator closed refuses new comments through every drop-in protocol, as on /v1.

Each protocol answers in its own shape, one its clients read as "do not publish", and nothing is
stored; the same thread open again, or another thread, is judged as before. The guard is the
shared submission path's (``moderation.submissions.ThreadClosed``), not each protocol's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import akismet
import httpx
import pytest
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.compat.coral_secrets import add_secret
from moderation.storage import Site, db
from tests.helpers import count
from tests.moderation.compat.conftest import BLOG
from tests.moderation.compat.coral_schema import ends_pipeline, phase_request, schema_errors

TEXT = "Thanks for the clear write-up, the second chart made it click for me."
PERMALINK = "https://blog.example/2026/12/budget"
READER = {"user_ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "comment_type": "comment"}
CORAL_SECRET = "ems_" + "3f" * 24


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """No worker runs here: an open thread's comment is stored and answered "no verdict yet"."""
    return {**app_config, "WAIT_MAX_MS": 200}


def thread_action(client: Any, keys: Any, thread: str, action: str) -> None:
    response = client.post(
        "/v1/sites/blog/threads/actions",
        json={"thread": thread, "action": action},
        headers=keys.headers("blog_moderator"),
    )
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def akismet_client(app: Any, akismet_key: str) -> Iterator[Any]:
    """The ``akismet`` package's client, as the Akismet tests use it, over WSGI."""
    http = httpx.Client(
        transport=httpx.WSGITransport(app=app), headers={"User-Agent": akismet.USER_AGENT}
    )
    yield akismet.SyncClient(config=akismet.Config(key=akismet_key, url=BLOG), http_client=http)
    http.close()


def test_akismet_answers_discard_for_a_closed_thread(
    client: Any, keys: Any, akismet_client: Any, app: Any, akismet_key: str
) -> None:
    thread_action(client, keys, PERMALINK, "close")
    check = akismet_client.comment_check(comment_content=TEXT, permalink=PERMALINK, **READER)
    # true with X-akismet-pro-tip: discard: WordPress drops it (or files it as spam).
    assert check is akismet.CheckResponse.DISCARD
    assert count() == 0
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://rest.example") as h:
        form = {"api_key": akismet_key, "blog": BLOG, "comment_content": TEXT, **READER}
        raw = h.post("/1.1/comment-check", data={**form, "permalink": PERMALINK})
        # Our WordPress plugin reads "rejected", not for spam: the Trash; no guid, nothing kept.
        assert raw.status_code == 200 and raw.text == "true"
        assert raw.headers["X-Moderation-Status"] == "rejected"
        assert raw.headers["X-Moderation-Reasons"] == "thread_closed"
        assert "closed" in raw.headers["X-akismet-debug-help"]
        assert "X-akismet-guid" not in raw.headers and "X-akismet-error" not in raw.headers
        assert count() == 0
        # Another thread is judged as before: stored, and no verdict in time without a worker.
        other = h.post("/1.1/comment-check", data={**form, "permalink": PERMALINK + "-2"})
        assert other.status_code == 503 and count() == 1
    thread_action(client, keys, PERMALINK, "reopen")
    with pytest.raises(akismet.AkismetError):
        # Open again: stored and waiting for a worker (an error answer, never a silent false).
        akismet_client.comment_check(comment_content=TEXT, permalink=PERMALINK, **READER)
    assert count() == 2


def test_perspective_stored_analyze_is_failed_precondition(client: Any, keys: Any) -> None:
    thread_action(client, keys, "story-9", "close")
    body = {
        "comment": {"text": TEXT},
        "requestedAttributes": {"TOXICITY": {}},
        "languages": ["en"],
        "communityId": "story-9",
    }
    response = client.post(f"/v1alpha1/comments:analyze?key={keys.plain['blog']}", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["code"], error["status"]) == (400, "FAILED_PRECONDITION")
    assert "closed" in error["message"]
    assert count() == 0
    # Another community (thread) is stored as before: no worker here, so 503 UNAVAILABLE.
    other = client.post(
        f"/v1alpha1/comments:analyze?key={keys.plain['blog']}",
        json={**body, "communityId": "story-10"},
    )
    assert other.status_code == 503 and count() == 1


@pytest.fixture
def coral_secret(app: Any, keys: Any) -> str:
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        add_secret(session, site, CORAL_SECRET, app.config["SECRET_KEY"])
    return CORAL_SECRET


def test_coral_phase_rejects_a_comment_on_a_closed_story(
    client: Any, keys: Any, coral_secret: str
) -> None:
    thread_action(client, keys, "story-1", "close")
    body = phase_request(f"<p>{TEXT}</p>", story="story-1")
    response = client.post(
        "/v1/integrations/coral/moderate?site=blog",
        data=body,
        headers={"Content-Type": "application/json", "X-Coral-Signature": sign(coral_secret, body)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    # Coral's schema takes it and its pipeline ends there: the comment is created rejected.
    assert schema_errors(answer) == [] and ends_pipeline(answer)
    assert answer["status"] == "REJECTED"
    assert answer["moderationAction"]["rejectionReason"]["code"] == "OTHER"
    assert count() == 0
    other = phase_request(f"<p>{TEXT}</p>", story="story-2")
    withheld = client.post(
        "/v1/integrations/coral/moderate?site=blog&timeout=100",
        data=other,
        headers={
            "Content-Type": "application/json",
            "X-Coral-Signature": sign(coral_secret, other),
        },
    )
    assert withheld.get_json() == {"status": "SYSTEM_WITHHELD"} and count() == 1
