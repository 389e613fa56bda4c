"""Akismet 1.1 with the real `akismet` client (PyPI 25.10.1), in process, via a real worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import akismet
import httpx
import pytest
from sqlalchemy import select

from moderation.storage import Comment, Decision, Role, db
from tests.helpers import count
from tests.moderation.compat.conftest import BLOG, site_key

HAM = "Thanks for the clear write-up, the second chart made it click for me."
SPAM = "Make $5000 a week working from home! Visit www.easy-money-now.example to start today!!!"
READER = {"user_ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "comment_type": "comment"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer wait: a worker's first verdict takes over 5 s on a busy test machine."""
    return {**app_config, "WAIT_MAX_MS": 30_000}


@pytest.fixture
def transport(app: Any) -> httpx.WSGITransport:
    return httpx.WSGITransport(app=app)


@pytest.fixture
def akismet_client(app: Any, akismet_key: str, transport: httpx.WSGITransport) -> Iterator[Any]:
    http = httpx.Client(transport=transport, headers={"User-Agent": akismet.USER_AGENT})
    yield akismet.SyncClient(config=akismet.Config(key=akismet_key, url=BLOG), http_client=http)
    http.close()


def raw(transport: httpx.WSGITransport, path: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(transport=transport, base_url="http://rest.example") as http:
        return http.post(path, **kwargs)


def test_verify_key(akismet_client: Any, akismet_key: str, keys: Any) -> None:
    assert akismet_client.verify_key() is True
    assert akismet_client.verify_key(akismet_key, "https://elsewhere.example") is False
    assert akismet_client.verify_key("abcdefghijkl", BLOG) is False
    # A site key of another kind is not an Akismet key, even for the right blog.
    assert akismet_client.verify_key(keys.plain["blog"], BLOG) is False


def test_validated_client_refuses_a_bad_configuration(transport: Any) -> None:
    http = httpx.Client(transport=transport)
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(
            config=akismet.Config(key="000000000000", url=BLOG), http_client=http
        )


def test_ham_and_spam_through_the_worker(akismet_client: Any, live_worker: None) -> None:
    assert akismet_client.comment_check(comment_content=HAM, comment_author="Ada", **READER) is (
        akismet.CheckResponse.HAM
    )
    assert akismet_client.comment_check(comment_content=SPAM, comment_author="Bob", **READER) is (
        akismet.CheckResponse.DISCARD
    )
    db.remove()
    stored = {c.text: c for c in db.session().scalars(select(Comment))}
    assert stored[HAM].status == "approved" and stored[HAM].decided_by == "policy"
    assert stored[SPAM].status == "rejected" and "spam" in stored[SPAM].reasons
    assert (
        stored[SPAM].name == "Bob"
        and stored[SPAM].ip_hash
        and "203.0.113.7" not in str(stored[SPAM].ip_hash)
    )
    # The verdict is in the audit log like any /v1 verdict.
    actors = db.session().scalars(
        select(Decision.actor).where(Decision.comment_id == stored[HAM].id)
    )
    assert list(actors) == ["policy"]


def test_test_triggers_store_nothing(akismet_client: Any) -> None:
    spam = akismet_client.comment_check(
        comment_author="viagra-test-123", comment_content=HAM, **READER
    )
    assert spam is akismet.CheckResponse.SPAM
    assert akismet_client.comment_check(
        comment_author_email="akismet-guaranteed-spam@example.com", comment_content=HAM, **READER
    )
    assert akismet_client.comment_check(
        user_role="administrator", comment_content=SPAM, **READER
    ) is (akismet.CheckResponse.HAM)
    assert count() == 0


def test_no_worker_means_an_error_never_a_silent_false(
    app: Any, transport: Any, akismet_key: str
) -> None:
    app.config["WAIT_MAX_MS"] = 300
    answer = raw(
        transport,
        "/1.1/comment-check",
        data={"api_key": akismet_key, "blog": BLOG, "comment_content": HAM, **READER},
    )
    assert answer.status_code == 503
    assert answer.text not in {"true", "false"} and answer.headers["X-akismet-error"]
    # Stored and pending: the sweeper and a worker will still decide it.
    assert count() == 1


def test_submit_spam_and_ham_are_moderator_feedback(akismet_client: Any, live_worker: None) -> None:
    assert akismet_client.comment_check(comment_content=HAM, comment_author="Ada", **READER) is (
        akismet.CheckResponse.HAM
    )
    assert akismet_client.submit_spam(comment_content=HAM, comment_author="Ada", **READER) is True
    assert (
        akismet_client.submit_ham(comment_content="Never seen before, but fine.", **READER) is True
    )
    db.remove()
    session = db.session()
    decisions = session.execute(
        select(Comment.text, Decision.action, Decision.actor, Decision.note, Decision.key_id)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Decision.actor == "moderator")
        .order_by(Decision.id)
    ).all()
    assert [(d.text, d.action, d.note) for d in decisions] == [
        (HAM, "spam", "akismet:submit-spam"),
        ("Never seen before, but fine.", "not_spam", "akismet:submit-ham"),
    ]
    assert all(d.key_id is not None for d in decisions)
    from moderation.learning.feedback import Split, feedback_rows

    labels = {row["text"]: row["labels"] for row, _ in feedback_rows(session, split=Split.ALL)}
    assert labels == {HAM: {"spam": 1}, "Never seen before, but fine.": {"spam": 0}}


def test_submit_with_a_json_body_without_blog(transport: Any, akismet_key: str) -> None:
    answer = raw(
        transport,
        "/1.1/submit-spam",
        json={"api_key": akismet_key, "user_ip": "203.0.113.7", "comment_content": SPAM},
    )
    assert (answer.status_code, answer.text) == (200, "Thanks for making the web a better place.")
    assert count() == 1


def test_key_in_the_host_and_unknown_fields_ignored(transport: Any, akismet_key: str) -> None:
    with httpx.Client(transport=transport, base_url=f"http://{akismet_key}.rest.example") as http:
        answer = http.post(
            "/1.1/comment-check",
            data={
                "blog": BLOG,
                "user_ip": "203.0.113.7",
                "comment_author": "viagra-test-123",
                "POST_comment_post_ID": "7",
                "HTTP_ACCEPT_LANGUAGE": "en",
                "content_type": "forum-post",
            },
        )
    assert (answer.status_code, answer.text) == (200, "true")


@pytest.mark.parametrize(
    ("data", "body", "status"),
    [
        ({"blog": BLOG, "user_ip": "1.2.3.4"}, "invalid", 200),
        ({"api_key": "KEY", "user_ip": "1.2.3.4"}, "Missing required field: blog.", 400),
        ({"api_key": "KEY", "blog": BLOG}, "Missing required field: user_ip.", 400),
        ({"api_key": "KEY", "blog": "https://other.example", "user_ip": "1.2.3.4"}, "invalid", 200),
    ],
)
def test_refusals(
    transport: Any, akismet_key: str, data: dict[str, str], body: str, status: int
) -> None:
    data = {name: akismet_key if value == "KEY" else value for name, value in data.items()}
    answer = raw(transport, "/1.1/comment-check", data=data)
    assert (answer.status_code, answer.text) == (status, body)
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.headers["X-akismet-debug-help"]
    assert count() == 0


def test_a_nul_in_a_field_is_refused_and_nothing_stored(transport: Any, akismet_key: str) -> None:
    data = {"api_key": akismet_key, "blog": BLOG, "user_ip": "1.2.3.4", "comment_content": "a\x00b"}
    answer = raw(transport, "/1.1/comment-check", data=data)
    assert answer.status_code == 400 and count() == 0


def test_an_unknown_key_is_invalid_for_the_client(transport: Any) -> None:
    http = httpx.Client(transport=transport)
    bad = akismet.SyncClient(config=akismet.Config(key="zzzzzzzzzzzz", url=BLOG), http_client=http)
    with pytest.raises(akismet.APIKeyError):
        bad.comment_check(comment_content=HAM, **READER)
    with pytest.raises(akismet.APIKeyError):
        bad.submit_spam(comment_content=HAM, **READER)


def test_usage_limit(akismet_client: Any, live_worker: None) -> None:
    akismet_client.comment_check(comment_content=HAM, **READER)
    assert akismet_client.usage_limit() == {
        "limit": "none",
        "usage": 1,
        "percentage": "0.00",
        "throttled": False,
    }


def test_keys_of_the_akismet_kind(app: Any, keys: Any) -> None:
    key = site_key("blog", Role.AKISMET)
    assert len(key) == 12 and key.isalnum()
    from moderation.storage import ApiKey

    db.remove()
    stored = db.session().scalar(select(ApiKey).where(ApiKey.role == "akismet"))
    assert stored.prefix == "akismet:" + key[:4] and key not in stored.key_hash


def test_a_recheck_answers_from_the_stored_verdict(akismet_client: Any, live_worker: None) -> None:
    fields = {"comment_content": SPAM, "comment_author": "Bob", **READER}
    assert akismet_client.comment_check(**fields) is akismet.CheckResponse.DISCARD
    again = akismet_client.comment_check(recheck_reason="recheck_queue", **fields)
    assert again is akismet.CheckResponse.DISCARD
    assert count() == 1
