"""The one JSON error shape, and the headers an error keeps."""

from __future__ import annotations

from typing import Any

from tests.helpers import COMMENT, assert_error


def test_method_not_allowed_keeps_allow_header(client: Any, keys: Any) -> None:
    response = client.put("/v1/comments", json=COMMENT, headers=keys.headers("blog"))
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_every_answer_says_nosniff(client: Any, keys: Any) -> None:
    answers = [
        client.get("/healthz"),
        client.get("/openapi.json"),
        client.get("/v1/comments/nope", headers=keys.headers("blog")),
        client.get("/v1/comments/nope"),
        client.get("/no/such/path"),
    ]
    assert [answer.headers.get("X-Content-Type-Options") for answer in answers] == ["nosniff"] * 5
