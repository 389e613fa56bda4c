"""Coral's external moderation phase and webhook events: signed requests through a real worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.compat.coral_secrets import add_secret
from moderation.storage import Comment, Decision, IntegrationSecret, Site, db
from tests.helpers import count, run_cli

MODERATE = "/v1/integrations/coral/moderate?site=blog"
EVENTS = "/v1/integrations/coral/events?site=blog"
SECRET = "ems_" + "3f" * 24
NEW_SECRET = "ems_" + "a1" * 24
TOXIC = "You are a stupid worthless idiot, shut up."
CLEAN = "Thanks for the clear write-up, the second chart made it click for me."


def coral_request(text: str, comment_id: str = "c-1") -> bytes:
    return json.dumps(
        {
            "action": "NEW",
            "comment": {"id": comment_id, "body": f"<p>{text}</p>", "parentID": None},
            "author": {"id": "user-1", "role": "COMMENTER"},
            "story": {"id": "story-1", "url": "https://blog.example/2026/charts"},
            "site": {"id": "coral-site-1"},
            "tenantID": "tenant-1",
            "tenantDomain": "blog.example",
        }
    ).encode()


@pytest.fixture
def secret(app: Any, keys: Any) -> str:
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        add_secret(session, site, SECRET, app.config["SECRET_KEY"])
    return SECRET


def post(client: Any, path: str, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Coral-Signature"] = signature
    return client.post(path, data=body, headers=headers)


def test_toxic_comment_is_withheld_with_a_flag(client: Any, secret: str, live_worker: None) -> None:
    body = coral_request(TOXIC)
    response = post(client, MODERATE, body, sign(secret, body))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "moderationAction": {"status": "SYSTEM_WITHHELD"},
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }
    db.remove()
    comment = db.session().scalar(select(Comment))
    assert (comment.text, comment.client_id, comment.thread_id) == (TOXIC, "comment:c-1", "story-1")
    assert comment.status == "held"


def test_clean_comment_is_no_action(client: Any, secret: str, live_worker: None) -> None:
    body = coral_request(CLEAN)
    response = post(client, MODERATE, body, sign(secret, body))
    assert response.status_code == 204 and response.get_data() == b""


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, sign(NEW_SECRET, b"{}"), sign(SECRET, b"other body")],
)
def test_bad_signatures_are_401_and_store_nothing(client: Any, secret: str, signature: Any) -> None:
    response = post(client, MODERATE, coral_request(TOXIC), signature)
    assert response.status_code == 401
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert count() == 0


def test_unknown_site_is_401(client: Any, secret: str) -> None:
    body = coral_request(TOXIC)
    response = post(client, "/v1/integrations/coral/moderate?site=nope", body, sign(secret, body))
    assert response.status_code == 401


def test_rotation_two_signatures(app: Any, client: Any, secret: str, live_worker: None) -> None:
    body = coral_request(CLEAN)
    both = f"{sign(SECRET, body)},{sign(NEW_SECRET, body)}"
    assert post(client, MODERATE, body, both).status_code == 204
    # The site has moved to the new secret and dropped the old one; Coral still sends both.
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        add_secret(session, site, NEW_SECRET, app.config["SECRET_KEY"])
        session.scalar(
            select(IntegrationSecret).order_by(IntegrationSecret.id)
        ).revoked_at = site.created_at
    body = coral_request(CLEAN, "c-2")
    both = f"{sign(SECRET, body)},{sign(NEW_SECRET, body)}"
    assert post(client, MODERATE, body, both).status_code == 204
    assert post(client, MODERATE, body, sign(SECRET, body)).status_code == 401
    assert post(client, MODERATE, body, sign(NEW_SECRET, body)).status_code == 204


def test_secret_is_stored_sealed(secret: str) -> None:
    db.remove()
    sealed = db.session().scalar(select(IntegrationSecret.sealed))
    assert secret not in sealed and secret[4:12] not in sealed


def test_moderator_event_is_a_decision(client: Any, secret: str, live_worker: None) -> None:
    body = coral_request(TOXIC, "c-5")
    assert post(client, MODERATE, body, sign(secret, body)).status_code == 200
    event = json.dumps(
        {
            "id": "event-1",
            "type": "COMMENT_LEFT_MODERATION_QUEUE",
            "version": 1,
            "createdAt": "2026-12-01T10:00:00Z",
            "tenantID": "tenant-1",
            "data": {"commentID": "c-5", "storyID": "story-1", "status": "APPROVED"},
        }
    ).encode()
    for _ in range(2):  # Coral retries; the second delivery changes nothing
        assert post(client, EVENTS, event, sign(secret, event)).status_code == 204
    db.remove()
    decisions = db.session().scalars(select(Decision).where(Decision.actor == "moderator")).all()
    assert [(d.action, d.note) for d in decisions] == [
        ("approve", "coral:COMMENT_LEFT_MODERATION_QUEUE")
    ]
    assert db.session().scalar(select(Comment.status)) == "approved"
    other = json.dumps({"type": "STORY_CREATED", "data": {"storyID": "s"}}).encode()
    assert post(client, EVENTS, other, sign(secret, other)).status_code == 204
    assert post(client, EVENTS, other, sign(NEW_SECRET, other)).status_code == 401


def test_cli_adds_lists_and_removes_secrets(runner: Any, keys: Any) -> None:
    result = runner.invoke(args=["coral", "secrets", "add", "--site", "blog"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    listed = run_cli(runner, "coral", "secrets", "list", "--site", "blog").output
    secret_id = listed.split()[0]
    assert SECRET not in listed
    run_cli(runner, "coral", "secrets", "remove", "--site", "blog", secret_id)
    assert run_cli(runner, "coral", "secrets", "list", "--site", "blog").output.strip() == ""
    short = runner.invoke(args=["coral", "secrets", "add", "--site", "blog"], input="short\n")
    assert short.exit_code != 0
