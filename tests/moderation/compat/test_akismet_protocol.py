"""Akismet keys, fields, test triggers and answers."""

from __future__ import annotations

from moderation.compat.akismet_protocol import (
    KEY_LENGTH,
    THANKS,
    check_answer,
    host_key,
    key_tag,
    new_key,
    parse_call,
    scoring_failed,
    text_problem,
    verdict_answer,
)


def test_keys_are_twelve_characters_and_shown_only_in_part() -> None:
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(len(key) == KEY_LENGTH and key.isalnum() and key == key.lower() for key in keys)
    key = next(iter(keys))
    assert key_tag(key) == f"akismet:{key[:4]}" and key[4:] not in key_tag(key)


def test_key_in_the_host() -> None:
    assert host_key("abcdef123456.rest.example.org") == "abcdef123456"
    assert host_key("ABCDEF123456.rest.example.org:8443") == "abcdef123456"
    assert host_key("rest.example.org") is None
    assert host_key("127.0.0.1:5000") is None
    assert host_key("abcdef12345.rest.example.org") is None


def test_fields_known_kept_unknown_dropped_aliases_applied() -> None:
    call = parse_call(
        {
            "blog": "https://blog.example.org",
            "user_ip": "203.0.113.9",
            "content_type": "forum-post",
            "POST_comment_post_ID": "12",
            "HTTP_ACCEPT": "*/*",
            "comment_author": "x" * 500,
            "honeypot_field_name": "hp",
            "hp": "filled by a bot",
            "is_test": True,
        },
        {"comment_context[]": ["cooking", "recipes"]},
    )
    assert call.get("comment_type") == "forum-post"
    assert "POST_comment_post_ID" not in call.fields and "HTTP_ACCEPT" not in call.fields
    assert len(call.get("comment_author")) == 100
    assert call.honeypot_filled and call.get("is_test") == "1"
    assert call.context == ["cooking", "recipes"]


def test_test_triggers() -> None:
    assert parse_call({"comment_author": "viagra-test-123"}).is_test_trigger_spam
    spam_mail = parse_call({"comment_author_email": "akismet-guaranteed-spam@example.com"})
    assert spam_mail.is_test_trigger_spam
    assert parse_call({"user_role": "administrator"}).is_test_trigger_ham
    assert not parse_call({"comment_author": "viagra"}).is_test_trigger_spam


def test_answers_are_exact_bytes() -> None:
    assert check_answer(False, guid="g")[0:2] == ("false", 200)
    body, status, headers = check_answer(True, discard=True, guid="g")
    assert (body, status, headers["X-akismet-pro-tip"], headers["X-akismet-guid"]) == (
        "true", 200, "discard", "g",
    )  # fmt: skip
    assert "X-akismet-pro-tip" not in check_answer(True)[2]
    assert THANKS == "Thanks for making the web a better place."
    body, status, headers = scoring_failed("no verdict in time")
    assert status == 503 and body not in {"true", "false"} and headers["X-akismet-error"]


def test_verdicts() -> None:
    assert verdict_answer("approved", []) == (False, False)
    assert verdict_answer("held", ["toxicity"]) == (True, False)
    assert verdict_answer("rejected", ["spam"]) == (True, True)
    assert verdict_answer("rejected", ["banned_word"]) == (True, False)


def test_unstorable_text_is_found() -> None:
    assert text_problem(parse_call({"comment_content": "a\x00b"})) == "comment_content"
    assert text_problem(parse_call({"comment_content": "fine 😀"})) is None
