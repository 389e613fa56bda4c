"""Signing in and out of the moderator's page, the session cookie, CSRF and the security headers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from moderation.keys import revoke_key
from moderation.storage import Comment, Decision, db
from tests.moderation.web.conftest import Page, stored_comment


def set_cookie_header(response: Any) -> str:
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_signing_in_sets_a_strict_session_cookie_without_the_token(page: Page, keys: Any) -> None:
    token = keys.plain["blog_moderator"]
    response = page.sign_in(token)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/moderate/")
    cookie = set_cookie_header(response)
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Strict"
    assert attributes["path"].strip() == "Path=/moderate"
    assert token not in cookie and token[4:20] not in cookie
    queue = page.get("/moderate/")
    assert queue.status_code == 200 and "Sign out" in queue.get_data(as_text=True)


def test_the_queue_asks_for_a_sign_in_first(page: Page) -> None:
    response = page.get("/moderate/?tab=rejected")
    assert response.status_code == 302
    assert "/moderate/signin?next=" in response.headers["Location"]


def test_unknown_and_submit_keys_do_not_sign_in(page: Page, keys: Any) -> None:
    for token in ("mmt_not-a-real-token", keys.plain["blog"]):
        response = page.sign_in(token)
        assert response.status_code == 401
        assert "unknown, revoked or not a moderator" in response.get_data(as_text=True)
        assert page.get("/moderate/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    moderator_page: Page, keys: Any
) -> None:
    comment_id = stored_comment("blog", "held for a look", {"toxicity": 0.6}, reasons=["toxicity"])
    form = {"ids": comment_id, "action": "approve", "expected_status": "held"}
    refused = moderator_page.post_form("/moderate/decisions", form, with_csrf=False)
    assert refused.status_code == 400
    wrong = moderator_page.post_form("/moderate/decisions", {**form, "csrf_token": "guess"}, False)
    assert wrong.status_code == 400
    script = moderator_page.client.post(
        "/moderate/decisions", json={"ids": [comment_id], "action": "approve"}
    )
    assert script.status_code == 400
    with db.transaction() as session:
        assert session.get(Comment, comment_id).status == "held"
        assert session.scalars(select(Decision).where(Decision.actor == "moderator")).all() == []


def test_a_post_from_another_origin_is_refused_even_with_the_token(moderator_page: Page) -> None:
    comment_id = stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    response = moderator_page.post_json(
        "/moderate/decisions",
        {"ids": [comment_id], "action": "approve"},
        Origin="https://evil.example",
    )
    assert response.status_code == 400
    with db.transaction() as session:
        assert session.get(Comment, comment_id).status == "held"


def test_sign_in_itself_needs_the_csrf_token(page: Page, keys: Any) -> None:
    page.get("/moderate/signin")
    response = page.client.post("/moderate/signin", data={"token": keys.plain["admin"]})
    assert response.status_code == 400
    assert page.get("/moderate/").status_code == 302


def test_signing_out_ends_the_session(moderator_page: Page) -> None:
    response = moderator_page.post_form("/moderate/signout", {})
    assert response.status_code == 303
    assert moderator_page.get("/moderate/").status_code == 302


def test_revoking_the_token_ends_its_sessions(moderator_page: Page, keys: Any) -> None:
    with db.transaction() as session:
        revoke_key(session, keys.plain["blog_moderator"])
    assert moderator_page.get("/moderate/").status_code == 302


def test_every_page_carries_a_strict_content_security_policy(moderator_page: Page) -> None:
    for path in (
        "/moderate/",
        "/moderate/stats",
        "/moderate/signin",
        "/moderate/static/moderate.js",
        "/moderate/?site=nowhere",
    ):
        response = moderator_page.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert moderator_page.get("/moderate/").headers["Cache-Control"] == "no-store"


def test_no_page_has_an_inline_script(moderator_page: Page) -> None:
    stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    for path in ("/moderate/", "/moderate/stats", "/moderate/signin"):
        html = moderator_page.get(path).get_data(as_text=True)
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert 'src="/moderate/static/' in head or 'type="application/json"' in head, head
        assert " on" + "click=" not in html and "javascript:" not in html


def test_a_form_field_with_a_nul_is_refused(moderator_page: Page) -> None:
    comment_id = stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    response = moderator_page.post_form(
        "/moderate/decisions", {"ids": comment_id, "action": "approve", "reason": "a\x00b"}
    )
    assert response.status_code == 422 and "reason" in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.get(Comment, comment_id).status == "held"
