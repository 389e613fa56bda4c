"""Status changes and their audit trail: the policy's verdict applies once, a moderator's always."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.decisions import ACTION_OUTCOMES, apply_moderator_decision, record_verdict
from moderation.policy import Verdict
from moderation.storage import Comment, Decision, Site, WebhookEvent, db


def stored_comment(site: str = "blog") -> str:
    """A pending comment written straight to the database; its id."""
    with db.transaction() as session:
        site_id = session.scalar(select(Site.id).where(Site.name == site))
        comment = Comment(site_id=site_id, name="Reader", text="A comment to decide on.")
        session.add(comment)
        session.flush()
        return comment.id


def decisions_of(comment_id: str) -> list[Decision]:
    db.remove()
    query = select(Decision).where(Decision.comment_id == comment_id).order_by(Decision.id)
    return list(db.session().scalars(query))


def test_the_policys_verdict_applies_once_with_one_decision(keys: Any) -> None:
    comment_id = stored_comment()
    verdict = Verdict("held", ["spam", "suspect_word"], ["cheap pills"])
    with db.transaction() as session:
        assert record_verdict(session, comment_id, verdict) is True
    # A second run (an RQ retry, the sweeper, a second worker) finds nothing pending.
    with db.transaction() as session:
        assert record_verdict(session, comment_id, Verdict("approved", [])) is False
    [decision] = decisions_of(comment_id)
    assert (decision.actor, decision.action) == ("policy", "score")
    assert (decision.from_status, decision.to_status) == ("pending", "held")
    assert decision.reasons == ["spam", "suspect_word"]
    # The listed words that decided it are kept for the moderator reading the history.
    assert decision.note == "words: cheap pills"
    comment = db.session().get(Comment, comment_id)
    assert (comment.status, comment.reasons, comment.decided_by) == (
        "held",
        ["spam", "suspect_word"],
        "policy",
    )


def test_a_late_verdict_never_overrides_a_moderator(keys: Any) -> None:
    comment_id = stored_comment()
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        apply_moderator_decision(session, comment, "approve", None, "known reader")
    with db.transaction() as session:
        assert record_verdict(session, comment_id, Verdict("rejected", ["spam"])) is False
    assert [d.actor for d in decisions_of(comment_id)] == ["moderator"]
    assert db.session().get(Comment, comment_id).status == "approved"


@pytest.mark.parametrize("action", sorted(ACTION_OUTCOMES))
def test_each_moderator_action_sets_its_status_and_reason(keys: Any, action: str) -> None:
    comment_id = stored_comment()
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        apply_moderator_decision(session, comment, action, None, "")
    status, reason = ACTION_OUTCOMES[action]
    [decision] = decisions_of(comment_id)
    assert (decision.action, decision.from_status, decision.to_status) == (
        action,
        "pending",
        status.value,
    )
    expected = [reason] if reason else []
    assert decision.reasons == expected and decision.note is None  # an empty note is no note
    comment = db.session().get(Comment, comment_id)
    assert (comment.status, comment.reasons, comment.decided_by) == (
        status.value,
        expected,
        "moderator",
    )


def test_a_decision_records_one_event_per_subscribed_webhook_type(client: Any, keys: Any) -> None:
    made = client.post(
        "/v1/sites/blog/webhooks",
        json={"url": "https://hooks.example/in", "events": ["comment.decided"]},
        headers=keys.headers("admin"),
    )
    assert made.status_code == 201, made.get_json()
    comment_id = stored_comment()
    with db.transaction() as session:
        record_verdict(session, comment_id, Verdict("held", ["toxicity"]))
    with db.transaction() as session:
        apply_moderator_decision(session, session.get(Comment, comment_id), "reject", None, None)
    db.remove()
    events = db.session().scalars(select(WebhookEvent).where(WebhookEvent.comment_id == comment_id))
    # Subscribed to comment.decided only: the policy's verdict announces nothing.
    assert [(e.type, e.payload["data"]["decision"]["to_status"]) for e in events] == [
        ("comment.decided", "rejected")
    ]
