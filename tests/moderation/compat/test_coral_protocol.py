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


def test_verdicts_map_onto_coral_actions() -> None:
    assert moderation_answer("approved", []) is None
    assert moderation_answer("held", ["spam"]) == {
        "moderationAction": {"status": "SYSTEM_WITHHELD"},
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}],
    }
    held = moderation_answer("held", ["toxicity", "insult", "premoderation"])
    assert held["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    assert moderation_answer("held", ["premoderation"]) == {
        "moderationAction": {"status": "SYSTEM_WITHHELD"}
    }
    assert moderation_answer("rejected", ["spam"])["moderationAction"] == {
        "status": "REJECTED",
        "rejectionReason": {"code": "SPAM"},
    }
    hate = moderation_answer("rejected", ["identity_attack"])
    assert hate["moderationAction"]["rejectionReason"]["code"] == "HATE_SPEECH"
    # No verdict (a timeout) or a comment that could not be scored: withheld, never published.
    for status, reasons in (("pending", []), ("held", ["unscored"])):
        assert moderation_answer(status, reasons) == {
            "moderationAction": {"status": "SYSTEM_WITHHELD"}
        }


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
        "type": "COMMENT_LEFT_MODERATION_QUEUE",
        "data": {"commentID": "c1", "storyID": "s1", "status": "REJECTED"},
    }
    event = parse_event(left)
    assert (event.client_id, event.action) == ("comment:c1", "reject")
    assert parse_event({"type": "STORY_CREATED", "data": {}}) is None
    with pytest.raises(CoralRequestError):
        parse_event({"type": "COMMENT_LEFT_MODERATION_QUEUE", "data": {}})
