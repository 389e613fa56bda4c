"""What the WordPress Akismet plugin calls besides comment-check (issue 16, item 15).

``get-subscription`` and ``get-stats`` must be JSON objects the plugin decodes (it shows a 415
or plain text as an invalid key, and drops non-object stats); submit-spam/submit-ham with the
``guid`` that comment-check answered find the original comment even after its text was edited.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.storage import Comment, Decision, db
from tests.moderation.compat.conftest import BLOG

READER = {"user_ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "comment_type": "comment"}
TOXIC = "You are a stupid worthless idiot, shut up."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer wait for verdicts: a cold worker on a busy test machine takes seconds."""
    return {**app_config, "WAIT_MAX_MS": 30_000}


def wordpress(client: Any, path: str, key: str, **fields: Any) -> Any:
    """A call as the plugin sends it: form-encoded, ``key`` and the transport's ``api_key``."""
    return client.post(f"/1.1/{path}", data={"key": key, "api_key": key, "blog": BLOG, **fields})


def test_get_subscription_is_an_active_account(client: Any, akismet_key: str) -> None:
    response = wordpress(client, "get-subscription", akismet_key)
    assert response.status_code == 200 and response.mimetype == "application/json"
    account = response.get_json()
    assert account["status"] == "active" and account["account_name"] == "blog"
    refused = wordpress(client, "get-subscription", "abcdefghijkl")
    assert refused.get_data(as_text=True) == "invalid"


def test_get_stats_has_the_fields_the_plugin_reads(
    client: Any, akismet_key: str, live_worker: None
) -> None:
    check = wordpress(client, "comment-check", akismet_key, comment_content=TOXIC, **READER)
    assert check.get_data(as_text=True) == "true"
    for period in ("6-months", "all", "60-days"):
        response = wordpress(client, "get-stats", akismet_key, **{"from": period})
        assert response.status_code == 200 and response.mimetype == "application/json"
        stats = response.get_json()
        wanted = {"spam", "ham", "missed_spam", "false_positives", "accuracy", "time_saved"}
        assert wanted <= set(stats) and isinstance(stats["breakdown"], list)
        assert 0 <= stats["accuracy"] <= 100


def test_guid_finds_the_original_after_an_edit(
    client: Any, akismet_key: str, live_worker: None
) -> None:
    check = wordpress(client, "comment-check", akismet_key, comment_content=TOXIC, **READER)
    guid = check.headers["X-akismet-guid"]
    edited = TOXIC + " (edited)"
    ham = wordpress(client, "submit-ham", akismet_key, comment_content=edited, guid=guid, **READER)
    assert ham.status_code == 200
    db.remove()
    session = db.session()
    assert [c.id for c in session.scalars(select(Comment))] == [guid]
    assert session.get(Comment, guid).status == "approved"
    decision = session.scalar(select(Decision).where(Decision.actor == "moderator"))
    assert (decision.comment_id, decision.action) == (guid, "not_spam")
