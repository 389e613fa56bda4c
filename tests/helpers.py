"""Helpers shared by the tests: submit a comment, decide on one, check the one error shape."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from moderation.storage import Base, Comment, db

COMMENT = {"name": "Ada", "text": "Thanks for the article, the second chart helped a lot."}
ERROR_KEYS = {"code", "status", "message", "errors"}
BLOG_ORIGIN = "https://blog.example"
SHOP_ORIGIN = "https://shop.example"


def submit(client: Any, keys: Any, text: str, site: str = "blog", **fields: Any) -> str:
    """Submit a comment with the site's key; its id."""
    response = client.post(
        "/v1/comments", json={"name": "Reader", "text": text, **fields}, headers=keys.headers(site)
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def decide(
    client: Any,
    keys: Any,
    comment_id: str,
    action: str,
    moderator: str = "blog_moderator",
    **body: Any,
) -> dict[str, Any]:
    """A moderator's decision on a comment (``body``: reason, expected_status); the decision."""
    response = client.post(
        f"/v1/comments/{comment_id}/decision",
        json={"action": action, **body},
        headers=keys.headers(moderator),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def post_comment(client: Any, headers: dict[str, str], **kwargs: Any) -> Any:
    """POST ``COMMENT`` with these headers; the response, whatever it is."""
    return client.post("/v1/comments", json=COMMENT, headers=headers, **kwargs)


def count(model: type[Base] = Comment) -> int:
    """Rows of ``model`` in the database now (a fresh session, not the request's)."""
    db.remove()
    return db.session().scalar(select(func.count()).select_from(model))


def assert_error(response: Any, code: int) -> dict[str, Any]:
    """The response is ``code`` in the one JSON error shape; return its body."""
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code and isinstance(body["errors"], dict)
    return body


def status_of(comment_id: str) -> str:
    db.remove()
    return db.session().get(Comment, comment_id).status


def stored_ip_hash(comment_id: str) -> str:
    db.remove()
    return db.session().get(Comment, comment_id).ip_hash


def from_ip(address: str) -> dict[str, Any]:
    """Test-client arguments for a request from this client address."""
    return {"environ_base": {"REMOTE_ADDR": address}}


def database_dump() -> str:
    """Every value of every table, as text."""
    db.remove()
    session = db.session()
    rows = [
        repr(row)
        for table in Base.metadata.sorted_tables
        for row in session.execute(select(table)).all()
    ]
    return "\n".join(rows)


def run_cli(runner: Any, *args: str) -> Any:
    """Run ``moderation ARGS`` in the app's context; the result, after checking it succeeded."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result
