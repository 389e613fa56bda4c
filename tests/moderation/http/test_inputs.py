"""The input checks of every request: body size and type, JSON, text, query parameters, headers."""

from __future__ import annotations

import json
from typing import Any

from moderation.storage import Decision
from tests.helpers import COMMENT, assert_error, count, post_comment, status_of


def test_body_over_the_limit_is_413_and_stores_nothing(client: Any, keys: Any, app: Any) -> None:
    limit = app.config["MAX_BODY_BYTES"]
    body = json.dumps({"name": "A", "text": "x" * limit}).encode()
    headers = {**keys.headers("blog"), "Content-Type": "application/json"}
    assert_error(client.post("/v1/comments", data=body, headers=headers), 413)
    # A chunked body has no Content-Length: it is cut off while it is read.
    chunked = client.post(
        "/v1/comments",
        input_stream=__import__("io").BytesIO(body),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True},
    )
    assert_error(chunked, 413)
    assert count() == 0


def test_bodies_must_be_json_in_utf8_or_415(client: Any, keys: Any) -> None:
    blog = keys.headers("blog")
    raw = json.dumps(COMMENT)
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
    ):
        response = client.post(
            "/v1/comments", data=raw, headers={**blog, "Content-Type": content_type}
        )
        body = assert_error(response, 415)
        assert "Content-Type" in body["errors"]["headers"]
    no_type = client.post("/v1/comments", data=raw, headers=blog)
    assert_error(no_type, 415)
    form = client.post("/v1/comments", data=COMMENT, headers=blog)
    assert_error(form, 415)
    assert count() == 0
    with_charset = client.post(
        "/v1/comments",
        data=raw,
        headers={**blog, "Content-Type": "application/json; charset=utf-8"},
    )
    assert with_charset.status_code == 202


def test_malformed_json_is_400(client: Any, keys: Any) -> None:
    headers = {**keys.headers("blog"), "Content-Type": "application/json"}
    for data in (
        b'{"name": "A", "text": ',
        b"{'name': 'A'}",
        b'{"name": "A", "text": "caf\xe9"}',  # Latin-1, not UTF-8
        b"[" * 50_000,  # valid-looking nesting deeper than any parser should follow
        b'{"a":' * 40 + b"1" + b"}" * 40,
    ):
        assert_error(client.post("/v1/comments", data=data, headers=headers), 400)
    assert count() == 0


def test_schema_errors_are_422_naming_the_field(client: Any, keys: Any) -> None:
    cases = {
        "thread": {**COMMENT, "thread": {"id": "p1", "title": "t" * 501}},
        "rating": {**COMMENT, "rating": 5},
        "name": {"text": "no name"},
        "email": {**COMMENT, "email": "nobody"},
    }
    for field, body in cases.items():
        response = client.post("/v1/comments", json=body, headers=keys.headers("blog"))
        assert field in assert_error(response, 422)["errors"]["json"], field
    assert count() == 0


def raw_json_post(client: Any, path: str, raw: str, headers: dict[str, str]) -> Any:
    return client.post(path, data=raw, headers={**headers, "Content-Type": "application/json"})


def test_nul_and_lone_surrogates_are_rejected_everywhere_and_nothing_is_stored(
    client: Any, keys: Any, comments: Any
) -> None:
    blog = keys.headers("blog")
    moderator = keys.headers("blog_moderator")
    body_cases = [
        ("/v1/comments", '{"name": "A", "text": "x\\u0000y"}', blog, ["text"]),
        ("/v1/comments", '{"name": "\\ud800", "text": "hi"}', blog, ["name"]),
        ("/v1/comments", '{"name": "A", "text": "ok \\udfff"}', blog, ["text"]),
        (
            "/v1/comments",
            '{"name": "A", "text": "hi", "thread": {"id": "p\\u0000"}}',
            blog,
            ["thread", "id"],
        ),
        ("/v1/comments", '{"name": "A", "text": "hi", "\\ud800": 1}', blog, ["'\\ud800'"]),
        (
            "/v1/review/decisions",
            '{"ids": ["\\ud800"], "action": "approve"}',
            moderator,
            ["ids", "0"],
        ),
        (
            f"/v1/comments/{comments['blog']}/decision",
            '{"action": "reject", "reason": "\\u0000"}',
            moderator,
            ["reason"],
        ),
    ]
    for path, raw, headers, field_path in body_cases:
        errors = assert_error(raw_json_post(client, path, raw, headers), 422)["errors"]["json"]
        for part in field_path:
            errors = errors[part if part in errors else int(part)]
        assert (errors and "NUL" in errors[0]) or "surrogate" in errors[0]
    for url, location in (
        ("/v1/review/queue?thread=a%00b", "query"),
        ("/v1/comments/abc%00def", "path"),
        ("/v1/comments/abc%00def/history", "path"),
    ):
        assert location in assert_error(client.get(url, headers=moderator), 422)["errors"]
    assert count() == 2 and count(Decision) == 0
    assert status_of(comments["blog"]) == "pending"


def test_unknown_query_parameters_are_422_naming_them(client: Any, keys: Any) -> None:
    # A typo in a filter must not silently list everything.
    response = client.get("/v1/review/queue?stauts=pending", headers=keys.headers("admin"))
    assert assert_error(response, 422)["errors"]["query"] == {"stauts": ["Unknown field."]}
    assert (
        client.get("/v1/review/queue?status=pending", headers=keys.headers("admin")).status_code
        == 200
    )
    assert_error(post_comment(client, keys.headers("blog"), query_string={"wiat": "100"}), 422)
    assert count() == 0


def test_headers_are_checked_before_anything_is_stored(client: Any, keys: Any) -> None:
    blog = keys.headers("blog")
    too_long = post_comment(client, {**blog, "Idempotency-Key": "k" * 201})
    assert "Idempotency-Key" in assert_error(too_long, 422)["errors"]["headers"]
    for header in ("User-Agent", "Referer", "Idempotency-Key"):
        response = post_comment(client, {**blog, header: "a\x00b"})
        assert header in assert_error(response, 400)["errors"]["headers"]
    assert count() == 0
    assert post_comment(client, {**blog, "Idempotency-Key": "k" * 200}).status_code == 202


def test_ids_beyond_the_integer_columns_are_404_not_500(client: Any, keys: Any) -> None:
    for number in (2**31, 2**63, 10**30):
        assert_error(client.get(f"/v1/webhooks/{number}", headers=keys.headers("admin")), 404)
