"""Coral's external moderation phase and webhook events: signed requests through a real worker.

Requests are built as Coral's source builds them (``coral_schema``: no comment id in the phase
request, pretty-printed JSON, events in Coral's envelope) and every answer is checked against
Coral's answer schema.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from moderation.compat.coral_protocol import sign
from moderation.compat.coral_secrets import add_secret
from moderation.decisions import apply_moderator_decision
from moderation.storage import Comment, Decision, IntegrationSecret, Report, Site, db, utcnow
from tests.helpers import count, run_cli
from tests.moderation.compat.coral_schema import (
    ends_pipeline,
    phase_request,
    schema_errors,
    webhook_event,
)

# The phase's timeout set in Coral: its largest here, where the worker thread starts cold.
MODERATE = "/v1/integrations/coral/moderate?site=blog&timeout=10000"
EVENTS = "/v1/integrations/coral/events?site=blog"
SECRET = "ems_" + "3f" * 24
NEW_SECRET = "ems_" + "a1" * 24
TOXIC = "You are a stupid worthless idiot, shut up."
CLEAN = "Thanks for the clear write-up, the second chart made it click for me."


def coral_request(text: str, story: str = "story-1") -> bytes:
    return phase_request(f"<p>{text}</p>", story=story)


def now_iso(offset_seconds: float = 0) -> str:
    return (utcnow() + timedelta(seconds=offset_seconds)).isoformat().replace("+00:00", "Z")


def coral_answer(response: Any) -> Any:
    """The answer as Coral reads it: 204 → none; else JSON that must pass Coral's schema."""
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    if response.status_code == 204:
        return None
    answer = response.get_json()
    assert schema_errors(answer) == []
    return answer


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer wait for verdicts: a cold worker on a busy test machine takes seconds."""
    return {**app_config, "WAIT_MAX_MS": 30_000}


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


def test_toxic_comment_is_withheld_by_status_with_a_flag(
    client: Any, secret: str, live_worker: None
) -> None:
    """A top-level status ends Coral's pipeline; a moderationAction would notify a "rejection"."""
    body = coral_request(TOXIC)
    answer = coral_answer(post(client, MODERATE, body, sign(secret, body)))
    assert answer == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }
    assert ends_pipeline(answer) and "moderationAction" not in answer
    db.remove()
    comment = db.session().scalar(select(Comment))
    assert (comment.text, comment.client_id, comment.thread_id) == (TOXIC, None, "story-1")
    assert comment.status == "held"


def test_clean_comment_is_no_action(client: Any, secret: str, live_worker: None) -> None:
    body = coral_request(CLEAN)
    response = post(client, MODERATE, body, sign(secret, body))
    assert response.status_code == 204 and response.get_data() == b""


def set_policy(policy: dict[str, Any]) -> None:
    with db.transaction() as session:
        session.scalar(select(Site).where(Site.name == "blog")).policy = policy


@pytest.mark.parametrize("policy", [{"suspect_words": ["charts"]}, {"banned_words": ["charts"]}])
def test_word_list_verdicts_use_only_flags_coral_accepts(
    client: Any, secret: str, live_worker: None, policy: dict[str, Any]
) -> None:
    set_policy(policy)
    body = coral_request("I like charts a lot.")
    answer = coral_answer(post(client, MODERATE, body, sign(secret, body)))
    assert answer["status"] in {"SYSTEM_WITHHELD", "REJECTED"} and ends_pipeline(answer)
    assert not any("WORD" in action["reason"] for action in answer.get("actions", []))


def test_a_rejection_tells_coral_the_reason(client: Any, secret: str, live_worker: None) -> None:
    set_policy({"banned_words": ["charts"]})
    body = coral_request("I like charts a lot.")
    answer = coral_answer(post(client, MODERATE, body, sign(secret, body)))
    assert answer["status"] == "REJECTED"
    assert answer["moderationAction"] == {
        "status": "REJECTED",
        "rejectionReason": {"code": "BANNED_WORD"},
    }


def test_the_answer_comes_within_corals_timeout(client: Any, secret: str) -> None:
    """No worker: the verdict is not ready, and Coral (timeout 200 ms) must not time out."""
    body = coral_request(TOXIC)
    started = time.monotonic()
    path = "/v1/integrations/coral/moderate?site=blog&timeout=200"
    answer = coral_answer(post(client, path, body, sign(secret, body)))
    elapsed = time.monotonic() - started
    assert answer == {"status": "SYSTEM_WITHHELD"}
    assert elapsed < 1.0  # 150 ms of waiting, and the test client's own time


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
    body = coral_request(CLEAN, "story-2")
    both = f"{sign(SECRET, body)},{sign(NEW_SECRET, body)}"
    assert post(client, MODERATE, body, both).status_code == 204
    assert post(client, MODERATE, body, sign(SECRET, body)).status_code == 401
    assert post(client, MODERATE, body, sign(NEW_SECRET, body)).status_code == 204


def test_secret_is_stored_sealed(secret: str) -> None:
    db.remove()
    sealed = db.session().scalar(select(IntegrationSecret.sealed))
    assert secret not in sealed and secret[4:12] not in sealed


def send_event(client: Any, secret: str, kind: str, event_id: str, data: dict[str, Any],
               created_at: str | None = None) -> Any:  # fmt: skip
    body = webhook_event(kind, event_id, created_at or now_iso(), data)
    return post(client, EVENTS, body, sign(secret, body))


def held_and_linked(client: Any, secret: str) -> Comment:
    """A toxic comment through the phase, then the events Coral sends once it created it."""
    body = coral_request(TOXIC)
    assert coral_answer(post(client, MODERATE, body, sign(secret, body)))["status"]
    for queue in ("PENDING", "UNMODERATED"):
        data = {"queue": queue, "commentID": "c-5", "status": "SYSTEM_WITHHELD",
                "storyID": "story-1", "siteID": "coral-site-1"}  # fmt: skip
        response = send_event(
            client, secret, "COMMENT_ENTERED_MODERATION_QUEUE", f"in-{queue}", data
        )
        assert response.status_code == 204
    db.remove()
    comment = db.session().scalar(select(Comment))
    assert comment.client_id == "comment:c-5"
    return comment


LEFT = "COMMENT_LEFT_MODERATION_QUEUE"


def left(status: str) -> dict[str, Any]:
    return {"queue": "PENDING", "commentID": "c-5", "status": status, "storyID": "story-1",
            "siteID": "coral-site-1"}  # fmt: skip


def test_coral_moderators_decision_becomes_ours(
    client: Any, secret: str, live_worker: None
) -> None:
    held_and_linked(client, secret)
    for _ in range(2):  # a repeated delivery changes nothing
        assert send_event(client, secret, LEFT, "event-1", left("APPROVED")).status_code == 204
    db.remove()
    decisions = db.session().scalars(select(Decision).where(Decision.actor == "moderator")).all()
    assert [(d.action, d.note) for d in decisions] == [("approve", f"coral:{LEFT}:event-1")]
    assert db.session().scalar(select(Comment.status)) == "approved"
    from moderation.learning.feedback import Split, feedback_rows

    rows = [row for row, _ in feedback_rows(db.session(), split=Split.ALL)]
    assert rows and rows[0]["labels"]["toxicity"] == 0
    other = json.dumps({"type": "STORY_CREATED", "data": {"storyID": "s"}}).encode()
    assert post(client, EVENTS, other, sign(secret, other)).status_code == 204
    assert post(client, EVENTS, other, sign(NEW_SECRET, other)).status_code == 401


def test_a_published_comment_is_linked_by_comment_created(
    client: Any, secret: str, live_worker: None
) -> None:
    body = coral_request(CLEAN)
    assert coral_answer(post(client, MODERATE, body, sign(secret, body))) is None
    data = {"storyID": "story-1", "siteID": "coral-site-1", "commentID": "c-7"}
    assert send_event(client, secret, "COMMENT_CREATED", "created-1", data).status_code == 204
    db.remove()
    assert db.session().scalar(select(Comment.client_id)) == "comment:c-7"


def test_a_replayed_event_does_not_undo_a_later_decision(
    client: Any, secret: str, live_worker: None
) -> None:
    comment = held_and_linked(client, secret)
    sent_at = now_iso()
    assert send_event(client, secret, LEFT, "event-1", left("APPROVED"), sent_at).status_code == 204
    with db.transaction() as session:  # later, a moderator here rejects it
        apply_moderator_decision(session, session.get(Comment, comment.id), "reject", None, None)
    # The signed approval, captured and sent again (same id; or a fresh id, same old time).
    assert send_event(client, secret, LEFT, "event-1", left("APPROVED"), sent_at).status_code == 204
    assert send_event(client, secret, LEFT, "event-2", left("APPROVED"), sent_at).status_code == 204
    db.remove()
    assert db.session().get(Comment, comment.id).status == "rejected"


def test_readers_flags_in_coral_are_a_report_and_can_rehold(
    client: Any, secret: str, live_worker: None
) -> None:
    set_policy({"rehold_after_reports": 1})
    body = coral_request(CLEAN)
    assert coral_answer(post(client, MODERATE, body, sign(secret, body))) is None
    data = {"storyID": "story-1", "siteID": "coral-site-1", "commentID": "c-9"}
    assert send_event(client, secret, "COMMENT_CREATED", "created-9", data).status_code == 204
    reported = {**data, "queue": "REPORTED", "status": "NONE"}
    for _ in range(2):  # a repeated delivery is one report
        response = send_event(client, secret, "COMMENT_ENTERED_MODERATION_QUEUE", "rep-1", reported)
        assert response.status_code == 204
    db.remove()
    comment = db.session().scalar(select(Comment))
    assert (comment.client_id, comment.report_count) == ("comment:c-9", 1)
    assert (comment.status, comment.reasons) == ("held", ["reported"])
    assert [r.reason for r in db.session().scalars(select(Report))] == ["other"]
    # Entering the pending queue is no report.
    pending = {**data, "queue": "PENDING", "status": "PREMOD"}
    send_event(client, secret, "COMMENT_ENTERED_MODERATION_QUEUE", "pend-1", pending)
    db.remove()
    assert db.session().scalar(select(Comment.report_count)) == 1


def test_events_without_id_or_time_are_refused(client: Any, secret: str) -> None:
    event = json.dumps({"type": LEFT, "data": left("APPROVED")}).encode()
    assert post(client, EVENTS, event, sign(secret, event)).status_code == 422


@pytest.mark.parametrize(
    "escaped", [rb"you \ud83d idiot", rb"you \u0000idiot", rb"<p>fine</p>\u0000"]
)
def test_unstorable_text_is_cleaned_and_judged(
    client: Any, secret: str, live_worker: None, escaped: bytes
) -> None:
    """Coral publishes on any error: a lone surrogate or a NUL in the body is judged, not a 500."""
    # JSON escapes, as JSON.stringify writes them, in the signed bytes.
    body = phase_request("PLACEHOLDER").replace(b"PLACEHOLDER", escaped)
    coral_answer(post(client, MODERATE, body, sign(secret, body)))
    db.remove()
    text = db.session().scalar(select(Comment.text))
    assert "\x00" not in text and "\ud83d" not in text


def test_bad_input_is_4xx_never_500(client: Any, secret: str) -> None:
    nested = b"[" * 30_000 + b"]" * 30_000
    assert post(client, MODERATE, nested, sign(secret, nested)).status_code == 400
    author = phase_request("hi").replace(b'"user-1"', rb'"user-\ud83d"')
    response = post(client, MODERATE, author, sign(secret, author))
    assert response.status_code == 422
    assert count() == 0


def test_only_web_urls_are_stored(client: Any, secret: str, live_worker: None) -> None:
    body = phase_request("<p>hello there</p>", url="javascript:alert(1)")
    coral_answer(post(client, MODERATE, body, sign(secret, body)))
    db.remove()
    assert db.session().scalar(select(Comment.thread_url)) is None


def test_links_are_read_with_their_targets(client: Any, secret: str, live_worker: None) -> None:
    body = phase_request('<p>Nice post.</p><a href="https://spam.example/pills">read more</a>')
    coral_answer(post(client, MODERATE, body, sign(secret, body)))
    db.remove()
    assert "https://spam.example/pills" in db.session().scalar(select(Comment.text))


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
