"""Submitting comments and reading them back, through the HTTP API on real backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from moderation.queue import SCORE_QUEUE, get_queue
from moderation.storage import Comment, db

COMMENT = {"name": "Ada", "text": "Thanks for the article, the second chart helped a lot."}


def count_comments() -> int:
    return db.session().scalar(select(func.count()).select_from(Comment))


def test_submit_stores_pending_comment_and_enqueues_its_id(
    client: Any, keys: Any, app: Any
) -> None:
    response = client.post(
        "/v1/comments",
        json={**COMMENT, "email": "ada@example.org", "thread": {"id": "post-1", "title": "Charts"}},
        headers={
            **keys.headers("blog"),
            "User-Agent": "test-agent",
            "Referer": "https://blog.example/p1",
        },
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["site"] == "blog"
    assert body["links"]["self"] == f"/v1/comments/{body['id']}"
    assert response.headers["Location"] == body["links"]["self"]
    # Nothing personal goes back to the site.
    assert "email" not in body and "ip_hash" not in body

    stored = db.session().get(Comment, body["id"])
    assert stored.text == COMMENT["text"] and stored.thread_id == "post-1"
    assert stored.user_agent == "test-agent"
    assert stored.ip_hash and "203.0.113.7" not in stored.ip_hash and len(stored.ip_hash) == 64
    queue = get_queue(app.extensions["redis"], SCORE_QUEUE)
    job = queue.fetch_job(f"score-{body['id']}")
    assert job is not None and job.args == [body["id"]]


def test_site_key_reads_own_comment_but_not_another_sites(client: Any, keys: Any) -> None:
    posted = client.post("/v1/comments", json=COMMENT, headers=keys.headers("blog")).get_json()
    own = client.get(posted["links"]["self"], headers=keys.headers("blog"))
    assert own.status_code == 200 and own.get_json()["id"] == posted["id"]
    other = client.get(posted["links"]["self"], headers=keys.headers("shop"))
    assert other.status_code == 404
    assert other.get_json()["message"] == "No such comment."


def test_unknown_field_is_422_naming_it_and_stores_nothing(client: Any, keys: Any) -> None:
    response = client.post(
        "/v1/comments", json={**COMMENT, "rating": 5}, headers=keys.headers("blog")
    )
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert "rating" in body["errors"]["json"]
    assert count_comments() == 0


def test_field_limits(client: Any, keys: Any) -> None:
    cases = [
        {"name": "", "text": "hi"},
        {"name": "x" * 101, "text": "hi"},
        {"name": "A", "text": ""},
        {"name": "A", "text": "x" * 10_001},
        {"name": "A", "text": "nul \x00 byte"},
        {"name": "A", "text": "hi", "email": "not-an-email"},
        {"name": "A", "text": "hi", "url": "javascript:alert(1)"},
        {"text": "no name"},
    ]
    for body in cases:
        response = client.post("/v1/comments", json=body, headers=keys.headers("blog"))
        assert response.status_code == 422, body
    assert (
        client.post(
            "/v1/comments",
            json={"name": "x" * 100, "text": "x" * 10_000},
            headers=keys.headers("blog"),
        ).status_code
        == 202
    )
    assert count_comments() == 1


def test_missing_or_wrong_key(client: Any, keys: Any) -> None:
    assert client.post("/v1/comments", json=COMMENT).status_code == 401
    bad = client.post("/v1/comments", json=COMMENT, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    moderator = client.post("/v1/comments", json=COMMENT, headers=keys.headers("blog_moderator"))
    assert moderator.status_code == 403
    assert count_comments() == 0


def test_openapi_is_generated_from_the_schemas(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    assert "/v1/comments" in spec["paths"]
    submit = spec["components"]["schemas"]["CommentSubmit"]
    assert set(submit["required"]) == {"name", "text"}
    assert submit["properties"]["text"]["maxLength"] == 10_000
