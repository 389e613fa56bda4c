"""Coral's signatures (with rotation) and the verdict → moderationAction mapping."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from moderation.compat.coral_protocol import (
    CoralRequestError,
    moderation_answer,
    parse_event,
    parse_request,
    sign,
    verify,
)
from tests.moderation.compat.coral_schema import ends_pipeline, schema_errors

BODY = b'{"action":"NEW","comment":{"body":"hello"}}'


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(b"ssc_secret", BODY, hashlib.sha256).hexdigest()
    assert sign("ssc_secret", BODY) == f"sha256={expected}"
    assert verify(f"sha256={expected}", BODY, ["ssc_secret"])


def test_rotation_any_signature_against_any_live_secret() -> None:
    header = f"{sign('old', BODY)}, {sign('new', BODY)}"
    assert verify(header, BODY, ["new"])
    assert verify(header, BODY, ["old"])
    assert verify(header, BODY, ["unrelated", "new"])
    assert not verify(header, BODY, ["unrelated"])


@pytest.mark.parametrize("header", [None, "", "sha256=", "md5=abc", sign("secret", BODY + b" ")])
def test_bad_or_missing_signatures_fail(header: str | None) -> None:
    assert not verify(header, BODY, ["secret"])


def test_verdicts_map_onto_coral_statuses() -> None:
    assert moderation_answer("approved", []) is None
    assert moderation_answer("held", ["spam"]) == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}],
    }
    held = moderation_answer("held", ["toxicity", "insult", "premoderation"])
    assert held["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    assert moderation_answer("held", ["premoderation"]) == {"status": "SYSTEM_WITHHELD"}
    # Word lists: Coral's schema has no flag for them (one would fail the whole answer).
    for reason in ("suspect_word", "banned_word"):
        assert "actions" not in moderation_answer("held", [reason])
    rejected = moderation_answer("rejected", ["spam"])
    assert rejected["status"] == "REJECTED"
    assert rejected["moderationAction"] == {
        "status": "REJECTED",
        "rejectionReason": {"code": "SPAM"},
    }
    hate = moderation_answer("rejected", ["identity_attack"])
    assert hate["moderationAction"]["rejectionReason"]["code"] == "HATE_SPEECH"
    # No verdict (a timeout) or a comment that could not be scored: withheld, never published.
    for status, reasons in (("pending", []), ("held", ["unscored"])):
        assert moderation_answer(status, reasons) == {"status": "SYSTEM_WITHHELD"}
    for status in ("held", "rejected", "pending"):
        for reasons in ([], ["spam"], ["threat", "banned_word"], ["suspect_word"]):
            answer = moderation_answer(status, reasons)
            assert schema_errors(answer) == [] and ends_pipeline(answer)
            # A moderationAction makes Coral notify the author of a rejection: only then.
            assert ("moderationAction" in answer) == (status == "rejected")


def test_request_fields() -> None:
    parsed = parse_request(
        {
            "action": "NEW",
            "comment": {"id": "c1", "body": "<p>hi</p>", "parentID": None},
            "author": {"id": "u1", "role": "COMMENTER"},
            "story": {"id": "s1", "url": "https://news.example.org/a"},
            "site": {"id": "site1"},
            "tenantID": "t1",
            "tenantDomain": "news.example.org",
        }
    )
    assert (parsed.body, parsed.client_id, parsed.story_url) == (
        "<p>hi</p>",
        "comment:c1",
        "https://news.example.org/a",
    )
    for bad in ([], {"action": "DELETE", "comment": {"body": "x"}}, {"comment": {"body": 3}}):
        with pytest.raises(CoralRequestError):
            parse_request(bad)


def test_events() -> None:
    left = {
        "id": "e1",
        "createdAt": "2026-12-01T10:00:00.123Z",
        "type": "COMMENT_LEFT_MODERATION_QUEUE",
        "data": {"commentID": "c1", "storyID": "s1", "status": "REJECTED"},
    }
    event = parse_event(left)
    assert (event.client_id, event.action, event.created_at.isoformat()) == (
        "comment:c1",
        "reject",
        "2026-12-01T10:00:00.123000+00:00",
    )
    created = parse_event({**left, "type": "COMMENT_CREATED", "data": {"commentID": "c2",
                           "storyID": "s1"}})  # fmt: skip
    assert (created.action, created.story_id) == (None, "s1")
    assert parse_event({"type": "STORY_CREATED", "data": {}}) is None
    for bad in (
        {**left, "data": {}},
        {k: v for k, v in left.items() if k != "createdAt"},
        {k: v for k, v in left.items() if k != "id"},
        {**left, "createdAt": "yesterday"},
        {**left, "createdAt": "2026-12-01T10:00:00"},
    ):
        with pytest.raises(CoralRequestError):
            parse_event(bad)
