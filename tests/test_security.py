"""Nothing let in: roles, keys, input limits, rate limits, CORS, proxies and privacy, over HTTP.

Every test talks to the API through Flask's test client on the real backends of ``conftest.py``
(SQLite or PostgreSQL, and a real Redis), and checks what is stored, not only the status code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select, update

from moderation import create_app, db
from moderation.api.comments import keyed_hash
from moderation.embedded import EmbeddedRedis
from moderation.exceptions import ConfigurationError
from moderation.storage import (
    ApiKey,
    Base,
    Comment,
    Decision,
    Role,
    Score,
    Site,
    WebhookEvent,
    utcnow,
)

COMMENT = {"name": "Ada", "text": "Thanks for the article, the second chart helped a lot."}
ERROR_KEYS = {"code", "status", "message", "errors"}
BLOG_ORIGIN = "https://blog.example"
SHOP_ORIGIN = "https://shop.example"


def count(model: type[Base] = Comment) -> int:
    db.remove()
    return db.session().scalar(select(func.count()).select_from(model))


def assert_error(response: Any, code: int) -> dict[str, Any]:
    """The response is ``code`` in the one JSON error shape; return its body."""
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code and isinstance(body["errors"], dict)
    return body


def submit(client: Any, headers: dict[str, str], **kwargs: Any) -> Any:
    return client.post("/v1/comments", json=COMMENT, headers=headers, **kwargs)


@pytest.fixture
def comments(client: Any, keys: Any) -> dict[str, str]:
    """One stored comment per site, and shop's own origin (the fixture gives both blog's)."""
    with db.transaction() as session:
        session.execute(update(Site).where(Site.name == "shop").values(origins=[SHOP_ORIGIN]))
    ids = {}
    for site in ("blog", "shop"):
        response = submit(client, keys.headers(site))
        assert response.status_code == 202
        ids[site] = response.get_json()["id"]
    return ids


def status_of(comment_id: str) -> str:
    db.remove()
    return db.session().get(Comment, comment_id).status


# -- roles and object-level checks -----------------------------------------------------------


def test_site_key_reads_only_its_own_sites_comments(client: Any, keys: Any, comments: Any) -> None:
    assert (
        client.get(f"/v1/comments/{comments['blog']}", headers=keys.headers("blog")).status_code
        == 200
    )
    # Another site's comment is "not found", not "forbidden": its existence does not leak.
    assert_error(client.get(f"/v1/comments/{comments['shop']}", headers=keys.headers("blog")), 404)
    assert_error(client.get(f"/v1/comments/{comments['blog']}", headers=keys.headers("shop")), 404)


def test_site_key_cannot_review_decide_or_read_history(
    client: Any, keys: Any, comments: Any
) -> None:
    blog = keys.headers("blog")
    own = comments["blog"]
    decision = {"action": "approve"}
    assert_error(client.get("/v1/review/queue", headers=blog), 403)
    assert_error(client.get("/v1/review/queue?site=blog", headers=blog), 403)
    assert_error(client.post(f"/v1/comments/{own}/decision", json=decision, headers=blog), 403)
    bulk = {"ids": [own], "action": "approve"}
    assert_error(client.post("/v1/review/decisions", json=bulk, headers=blog), 403)
    assert_error(client.get(f"/v1/comments/{own}/history", headers=blog), 403)
    assert status_of(own) == "pending"
    assert count(Decision) == 0


def test_moderator_of_one_site_cannot_read_or_decide_on_another(
    client: Any, keys: Any, comments: Any
) -> None:
    moderator = keys.headers("blog_moderator")
    shop = comments["shop"]
    assert_error(client.get(f"/v1/comments/{shop}", headers=moderator), 404)
    assert_error(client.get(f"/v1/comments/{shop}/history", headers=moderator), 404)
    decided = client.post(
        f"/v1/comments/{shop}/decision", json={"action": "approve"}, headers=moderator
    )
    assert_error(decided, 404)
    # Bulk: the own comment is decided, the other site's is reported as unknown and untouched.
    bulk = client.post(
        "/v1/review/decisions",
        json={"ids": [comments["blog"], shop], "action": "reject"},
        headers=moderator,
    )
    assert bulk.status_code == 200
    result = bulk.get_json()
    assert result["decided"] == [comments["blog"]] and result["not_found"] == [shop]
    assert status_of(shop) == "pending" and status_of(comments["blog"]) == "rejected"
    # The queue: filtering on the other site is 404; unfiltered shows only the own site.
    assert_error(client.get("/v1/review/queue?site=shop", headers=moderator), 404)
    pending = client.get("/v1/review/queue?status=pending", headers=moderator).get_json()
    assert pending["items"] == [] and set(pending["counts"]) <= {"rejected"}
    rejected = client.get("/v1/review/queue?status=rejected", headers=moderator).get_json()
    assert [item["id"] for item in rejected["items"]] == [comments["blog"]]


def test_moderator_of_all_sites_and_admin_reach_every_site(
    client: Any, keys: Any, comments: Any
) -> None:
    keys.make("global_moderator", Role.MODERATE, None)
    for name in ("global_moderator", "admin"):
        headers = keys.headers(name)
        queue = client.get("/v1/review/queue?status=pending&site=shop", headers=headers)
        assert [item["id"] for item in queue.get_json()["items"]] == [comments["shop"]]
        assert (
            client.get(f"/v1/comments/{comments['shop']}/history", headers=headers).status_code
            == 200
        )
    decided = client.post(
        f"/v1/comments/{comments['shop']}/decision",
        json={"action": "approve"},
        headers=keys.headers("global_moderator"),
    )
    assert decided.status_code == 201 and status_of(comments["shop"]) == "approved"
    # Submitting needs a site key: no other role stores comments.
    for name in ("global_moderator", "admin", "blog_moderator"):
        assert_error(submit(client, keys.headers(name)), 403)


def test_missing_malformed_and_unknown_keys_are_401_with_a_challenge(
    client: Any, keys: Any
) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer msk_not-a-real-key"},
        {"Authorization": keys.plain["blog"]},  # the key without the scheme
    ):
        response = submit(client, headers)
        assert_error(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert_error(client.get("/v1/review/queue", headers=headers), 401)
    assert count() == 0


def every_api_operation(client: Any) -> list[tuple[str, str]]:
    """(method, URL) of every operation ``/openapi.json`` lists under /v1/, path filled in."""
    spec = client.get("/openapi.json").get_json()
    operations = []
    for path, methods in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        operations += [(method.upper(), url) for method in methods if method != "parameters"]
    return [(method, url) for method, url in operations if url.startswith("/v1/")]


def test_no_operation_answers_without_a_valid_key_whatever_the_body(
    client: Any, runner: Any, keys: Any
) -> None:
    revoked = keys.plain["shop"]
    run_cli(runner, "keys", "revoke", revoked[:10])
    operations = every_api_operation(client)
    assert len(operations) >= 6
    for method, url in operations:
        for headers in ({}, {"Authorization": f"Bearer {revoked}"}):
            # Even a body that is too large, of the wrong type, or not JSON: the key comes first.
            for body in ({"data": "{", "content_type": "text/plain"}, {"json": {"x": 1}}):
                response = client.open(url, method=method, headers=headers, **body)
                assert_error(response, 401)
    assert count() == 0


def test_a_site_key_reads_nothing_but_its_comments(client: Any, keys: Any) -> None:
    """Every GET and DELETE under /v1/ (those added later too) is 403 for a site key."""
    for method, url in every_api_operation(client):
        if method in {"GET", "DELETE"} and url != "/v1/comments/1":
            response = client.open(url, method=method, headers=keys.headers("blog"))
            assert_error(response, 403)


def test_only_the_admin_changes_sites_policies_and_webhooks(client: Any, keys: Any) -> None:
    keys.make("global_moderator", Role.MODERATE, None)
    changes = [
        ("POST", "/v1/sites", {"name": "news"}),
        ("PATCH", "/v1/sites/blog/policy", {}),
        ("POST", "/v1/sites/blog/webhooks", {"url": "https://hooks.example/in"}),
    ]
    for method, url, body in changes:
        for name in ("blog", "blog_moderator", "global_moderator"):
            response = client.open(url, method=method, json=body, headers=keys.headers(name))
            assert_error(response, 403)
    assert count(Site) == 2
    # The same requests are valid: the admin's succeed.
    for method, url, body in changes:
        response = client.open(url, method=method, json=body, headers=keys.headers("admin"))
        assert response.status_code in {200, 201}, response.get_data(as_text=True)


def run_cli(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_revoked_key_fails_at_once_and_others_keep_working(
    client: Any, runner: Any, keys: Any
) -> None:
    key = run_cli(runner, "keys", "create", "--site", "blog", "--role", "submit").stdout.strip()
    moderator = run_cli(runner, "keys", "create", "--site", "blog", "--role", "moderate")
    headers = {"Authorization": f"Bearer {key}"}
    assert submit(client, headers).status_code == 202

    revoked = run_cli(runner, "keys", "revoke", key[:10])
    assert "revoked submit key" in revoked.output
    assert_error(submit(client, headers), 401)
    assert_error(client.get("/v1/review/queue", headers=headers), 401)
    # The same site's other keys still work; revoking twice finds no live key.
    assert submit(client, keys.headers("blog")).status_code == 202
    mod_headers = {"Authorization": f"Bearer {moderator.stdout.strip()}"}
    assert client.get("/v1/review/queue", headers=mod_headers).status_code == 200
    again = runner.invoke(args=["keys", "revoke", key[:10]])
    assert again.exit_code != 0 and "no live key" in again.output
    listing = run_cli(runner, "keys", "list").stdout
    line = next(line for line in listing.splitlines() if line.startswith(key[:10]))
    assert line.split("\t")[1:3] == ["submit", "blog"] and line.split("\t")[4] != "-"


def test_revoke_refuses_short_or_ambiguous_prefixes(runner: Any, keys: Any) -> None:
    short = runner.invoke(args=["keys", "revoke", "msk_"])
    assert short.exit_code != 0 and "at least" in short.output
    with db.transaction() as session:
        for prefix in ("msk_AAAAAA", "msk_AAAAAB"):
            session.add(ApiKey(role="submit", site_id=None, key_hash=prefix * 6, prefix=prefix))
    ambiguous = runner.invoke(args=["keys", "revoke", "msk_AAAAA"])
    assert ambiguous.exit_code != 0 and "2 keys start with" in ambiguous.output
    db.remove()
    assert db.session().scalar(select(func.count()).where(ApiKey.revoked_at.is_not(None))) == 0
    assert run_cli(runner, "keys", "revoke", "msk_AAAAAB").exit_code == 0


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


def test_keys_are_random_shown_once_and_stored_only_as_hashes(
    client: Any, runner: Any, keys: Any, database_url: str
) -> None:
    created = [
        run_cli(runner, "keys", "create", "--site", "blog", "--role", role)
        for role in ("submit", "submit", "moderate")
    ]
    plaintexts = [result.stdout.strip() for result in created]
    # stdout holds the key alone (scripts capture it); it is new each time and long.
    assert all(result.stdout == key + "\n" for result, key in zip(created, plaintexts, strict=True))
    assert len(set(plaintexts)) == 3 and all(len(key) >= 40 for key in plaintexts)
    assert submit(client, {"Authorization": f"Bearer {plaintexts[0]}"}).status_code == 202

    everything = [*plaintexts, *keys.plain.values()]
    dump = database_dump()
    raw = b""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for key in everything:
        # Only the 10-character prefix is kept in clear: no 12 characters of a key appear.
        windows = {key[i : i + 12] for i in range(len(key) - 11)}
        assert not any(window in dump for window in windows), key[:10]
        assert not any(window.encode() in raw for window in windows), key[:10]
    # Nor are the keys anywhere in the API's answers about keys.
    listing = run_cli(runner, "keys", "list").stdout
    assert not any(key in listing for key in everything)


# -- input limits ----------------------------------------------------------------------------


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
    assert_error(submit(client, keys.headers("blog"), query_string={"wiat": "100"}), 422)
    assert count() == 0


def test_headers_are_checked_before_anything_is_stored(client: Any, keys: Any) -> None:
    blog = keys.headers("blog")
    too_long = submit(client, {**blog, "Idempotency-Key": "k" * 201})
    assert "Idempotency-Key" in assert_error(too_long, 422)["errors"]["headers"]
    for header in ("User-Agent", "Referer", "Idempotency-Key"):
        response = submit(client, {**blog, header: "a\x00b"})
        assert header in assert_error(response, 400)["errors"]["headers"]
    assert count() == 0
    assert submit(client, {**blog, "Idempotency-Key": "k" * 200}).status_code == 202


def test_ids_beyond_the_integer_columns_are_404_not_500(client: Any, keys: Any) -> None:
    for number in (2**31, 2**63, 10**30):
        assert_error(client.get(f"/v1/webhooks/{number}", headers=keys.headers("admin")), 404)


def test_method_not_allowed_keeps_allow_header(client: Any, keys: Any) -> None:
    response = client.put("/v1/comments", json=COMMENT, headers=keys.headers("blog"))
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]


# -- rate limits -----------------------------------------------------------------------------


def limited_app(app_config: dict[str, Any], **limits: str) -> Any:
    settings = {
        "RATE_LIMIT_SUBMIT": "1000 per minute",
        "RATE_LIMIT_DEFAULT": "1000 per minute",
        "RATE_LIMIT_KEY": "1000 per minute",
        **limits,
    }
    return create_app({**app_config, "RATE_LIMIT_ENABLED": True, **settings})


def from_ip(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_submissions_are_limited_per_client_ip_with_retry_after(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    limited = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute")
    client = limited.test_client()
    blog = keys.headers("blog")
    for _ in range(2):
        assert submit(client, blog, **from_ip("198.51.100.1")).status_code == 202
    refused = submit(client, blog, **from_ip("198.51.100.1"))
    body = assert_error(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "2 per 1 minute" in body["message"]
    # The buckets are keyed by the address's keyed hash, never the address, nor the key.
    bucket_names = b" ".join(limited.extensions["redis"].keys("*limits*"))
    assert bucket_names and b"198.51.100.1" not in bucket_names
    assert keys.plain["blog"].encode() not in bucket_names
    # Another reader of the same site is not affected; reading is not a submission.
    assert submit(client, blog, **from_ip("198.51.100.2")).status_code == 202
    comment_id = db.session().scalars(select(Comment.id)).first()
    assert (
        client.get(
            f"/v1/comments/{comment_id}", headers=blog, **from_ip("198.51.100.1")
        ).status_code
        == 200
    )
    assert count() == 3
    # Health checks are never limited.
    for _ in range(5):
        assert client.get("/healthz", **from_ip("198.51.100.1")).status_code == 200


def test_every_request_is_limited_per_key_across_addresses(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    client = limited_app(app_config, RATE_LIMIT_KEY="3 per minute").test_client()
    blog = keys.headers("blog")
    for number in range(3):
        assert submit(client, blog, **from_ip(f"203.0.113.{number}")).status_code == 202
    assert_error(client.get("/v1/comments/x", headers=blog, **from_ip("203.0.113.9")), 429)
    assert submit(client, keys.headers("shop"), **from_ip("203.0.113.9")).status_code == 202


def test_every_request_is_limited_per_client_ip_across_keys(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    client = limited_app(app_config, RATE_LIMIT_DEFAULT="3 per minute").test_client()
    same = from_ip("192.0.2.5")
    assert submit(client, keys.headers("blog"), **same).status_code == 202
    assert submit(client, keys.headers("shop"), **same).status_code == 202
    assert client.get("/v1/review/queue", headers=keys.headers("admin"), **same).status_code == 200
    assert_error(client.get("/openapi.json", **same), 429)
    assert submit(client, keys.headers("blog"), **from_ip("192.0.2.6")).status_code == 202


def test_limits_are_shared_by_all_api_processes_through_redis(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    first = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute").test_client()
    second = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute").test_client()
    same = from_ip("198.51.100.7")
    assert submit(first, keys.headers("blog"), **same).status_code == 202
    assert submit(second, keys.headers("blog"), **same).status_code == 202
    assert_error(submit(first, keys.headers("blog"), **same), 429)
    assert_error(submit(second, keys.headers("blog"), **same), 429)


def test_submissions_are_accepted_when_redis_dies_and_limits_fall_back_to_memory(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    directory = Path(f"/tmp/mod-sec-redis-{os.getpid()}")
    with EmbeddedRedis(directory, persist=False) as server:
        limited = limited_app(
            {**app_config, "REDIS_URL": server.url}, RATE_LIMIT_SUBMIT="4 per minute"
        )
        client = limited.test_client()
        same = from_ip("198.51.100.9")
        assert submit(client, keys.headers("blog"), **same).status_code == 202
        server.stop()
        # Redis is gone: the limiter cannot count there, yet the comments are stored (202) ...
        for _ in range(4):
            assert submit(client, keys.headers("blog"), **same).status_code == 202
        # ... and each process still limits, counting afresh in its memory, not at all.
        assert_error(submit(client, keys.headers("blog"), **same), 429)
    assert count() == 5


@pytest.mark.slow
def test_real_api_processes_share_one_count_and_accept_submissions_once_redis_is_gone(
    tmp_path: Path,
) -> None:
    from processes import RedisServer, Service, sqlite_url

    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(tmp_path / "redis"))
        database = sqlite_url(tmp_path)
        service = stack.enter_context(
            Service(
                tmp_path,
                database,
                redis.url,
                rate_limit_enabled="true",
                rate_limit_submit="5/minute",
            )
        )
        key, _ = service.create_site("blog")
        # Two API servers: two processes that share nothing but Redis and the database.
        apis = [service.api(workers=1), service.api(workers=1)]

        def post(api: Any) -> Any:
            return requests.post(
                f"{api.url}/v1/comments",
                json=COMMENT,
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )

        answers = [post(apis[number % 2]) for number in range(8)]
        assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
        assert set(answers[-1].json()) == ERROR_KEYS
        assert int(answers[-1].headers["Retry-After"]) >= 1
        redis.stop()
        # Without Redis each process counts in its own memory: submissions are still stored.
        assert [post(api).status_code for api in apis] == [202, 202]
    engine = create_engine(database)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Comment.__table__)) == 7
    engine.dispose()


# -- CORS ------------------------------------------------------------------------------------


def preflight(client: Any, origin: str, path: str = "/v1/comments") -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_preflight_answers_registered_origins_only(client: Any, keys: Any, comments: Any) -> None:
    for origin in (BLOG_ORIGIN, SHOP_ORIGIN):
        response = preflight(client, origin)
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert "Origin" in response.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in response.headers
    for origin in ("https://evil.example", "null", "https://blog.example.evil.example"):
        response = preflight(client, origin)
        assert_error(response, 403)
        assert "Access-Control-Allow-Origin" not in response.headers


def test_a_site_key_works_only_from_its_own_sites_origins(
    client: Any, keys: Any, comments: Any
) -> None:
    blog = keys.headers("blog")
    allowed = submit(client, {**blog, "Origin": BLOG_ORIGIN})
    assert allowed.status_code == 202
    assert allowed.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN
    assert "Location" in allowed.headers["Access-Control-Expose-Headers"]
    # shop.example is registered, but for shop: blog's key copied there stores nothing.
    for origin in (SHOP_ORIGIN, "https://evil.example", "null"):
        refused = submit(client, {**blog, "Origin": origin})
        assert_error(refused, 403)
        assert refused.headers.get("Access-Control-Allow-Origin") in (None, origin)
        assert refused.headers.get("Access-Control-Allow-Origin") != "*"
    read = client.get(f"/v1/comments/{comments['blog']}", headers={**blog, "Origin": SHOP_ORIGIN})
    assert_error(read, 403)
    # A site's backend sends no Origin: it is not a browser and its key is its credential.
    assert submit(client, blog).status_code == 202
    assert count() == 4


def test_errors_before_the_key_check_are_readable_by_registered_origins(
    client: Any, keys: Any, comments: Any
) -> None:
    invalid = client.post(
        "/v1/comments",
        json={"name": "A"},
        headers={**keys.headers("blog"), "Origin": BLOG_ORIGIN},
    )
    assert_error(invalid, 422)
    assert invalid.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN
    no_key = client.post("/v1/comments", json={"name": "A"}, headers={"Origin": BLOG_ORIGIN})
    assert_error(no_key, 401)
    assert no_key.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN
    stranger = client.post(
        "/v1/comments", json={"name": "A"}, headers={"Origin": "https://evil.example"}
    )
    assert_error(stranger, 401)
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_keys_bound_to_no_site_work_from_any_registered_origin(
    client: Any, keys: Any, comments: Any
) -> None:
    admin = {**keys.headers("admin"), "Origin": SHOP_ORIGIN}
    assert client.get("/v1/review/queue?status=pending", headers=admin).status_code == 200
    moderator = {**keys.headers("blog_moderator"), "Origin": SHOP_ORIGIN}
    assert_error(client.get("/v1/review/queue", headers=moderator), 403)
    evil = {**keys.headers("admin"), "Origin": "https://evil.example"}
    assert_error(client.get("/v1/review/queue", headers=evil), 403)


def test_site_origins_are_stored_normalized_and_non_origins_refused(runner: Any) -> None:
    run_cli(runner, "sites", "create", "news", "--origin", "HTTPS://News.Example:443/")
    with db.transaction() as session:
        assert session.scalar(select(Site.origins).where(Site.name == "news")) == [
            "https://news.example"
        ]
    for bad in ("news.example", "https://news.example/comments", "ftp://news.example"):
        result = runner.invoke(args=["sites", "create", "other", "--origin", bad])
        assert result.exit_code != 0 and "not an origin" in result.output
    changed = run_cli(
        runner, "sites", "origins", "news", "--add", "https://m.news.example",
        "--remove", "https://news.example/",
    )  # fmt: skip
    assert changed.stdout.splitlines() == ["https://m.news.example"]


# -- proxies ---------------------------------------------------------------------------------


def stored_ip_hash(comment_id: str) -> str:
    db.remove()
    return db.session().get(Comment, comment_id).ip_hash


def test_forwarded_for_is_ignored_unless_proxy_hops_are_configured(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    spoofed = {**keys.headers("blog"), "X-Forwarded-For": "192.0.2.99"}
    direct = limited_app(app_config, RATE_LIMIT_SUBMIT="1 per minute")
    client = direct.test_client()
    first = submit(client, spoofed, **from_ip("10.0.0.1"))
    with direct.test_request_context():
        assert stored_ip_hash(first.get_json()["id"]) == keyed_hash("10.0.0.1")
    # Another spoofed address does not buy a fresh rate-limit bucket either.
    other = {**keys.headers("blog"), "X-Forwarded-For": "192.0.2.100"}
    assert_error(submit(client, other, **from_ip("10.0.0.1")), 429)

    behind_proxy = limited_app({**app_config, "PROXY_HOPS": 1}, RATE_LIMIT_SUBMIT="1 per minute")
    client = behind_proxy.test_client()
    forwarded = submit(client, spoofed, **from_ip("10.0.0.2"))
    with behind_proxy.test_request_context():
        assert stored_ip_hash(forwarded.get_json()["id"]) == keyed_hash("192.0.2.99")
    # Behind one proxy, each forwarded client has its own bucket; the proxy's address has none.
    assert submit(client, other, **from_ip("10.0.0.2")).status_code == 202
    assert_error(submit(client, spoofed, **from_ip("10.0.0.2")), 429)


# -- privacy ---------------------------------------------------------------------------------


def test_client_ip_is_stored_only_as_a_keyed_hash(
    client: Any, keys: Any, app_config: dict[str, Any]
) -> None:
    response = submit(client, keys.headers("blog"), **from_ip("203.0.113.50"))
    stored = stored_ip_hash(response.get_json()["id"])
    assert "203.0.113.50" not in database_dump()
    # Keyed: the same address under another secret hashes differently (no rainbow table).
    other = create_app({**app_config, "SECRET_KEY": "another-secret-" + "y" * 32})
    with other.test_request_context():
        assert keyed_hash("203.0.113.50") != stored
    assert "203.0.113.50" not in json.dumps(response.get_json())


def test_purge_deletes_old_comments_with_their_personal_data(
    client: Any, runner: Any, keys: Any
) -> None:
    # A webhook, so the decision below also leaves an event (with the comment in its payload).
    hook = {"url": "https://hooks.example/in"}
    made = client.post("/v1/sites/blog/webhooks", json=hook, headers=keys.headers("admin"))
    assert made.status_code == 201
    old_text = "Remember me? My number is 555-0199, write to me."
    old = submit_json(client, keys.headers("blog"), {"name": "Grace H", "text": old_text,
                      "email": "grace@example.org", "url": "https://grace.example/"})  # fmt: skip
    recent = submit_json(client, keys.headers("blog"), COMMENT)
    decided = client.post(
        f"/v1/comments/{old}/decision", json={"action": "spam"}, headers=keys.headers("admin")
    )
    assert decided.status_code == 201
    with db.transaction() as session:
        session.add(Score(comment_id=old, label="spam", value=0.9, model_version="t"))
        session.execute(
            update(Comment)
            .where(Comment.id == old)
            .values(created_at=utcnow() - timedelta(days=91))
        )
    before = database_dump()
    assert old in before and old_text in before
    assert db.session().scalar(select(func.count()).select_from(WebhookEvent)) >= 1
    result = run_cli(runner, "purge", "--older-than", "90d")
    assert "purged 1 comments" in result.output
    # Nothing of the old comment is left in any table: not its id, words, name, e-mail or URL.
    after = database_dump()
    for trace in (old, old_text, "Grace H", "grace@example.org", "grace.example"):
        assert trace not in after, trace
    assert recent in after
    assert_error(client.get(f"/v1/comments/{old}", headers=keys.headers("admin")), 404)


def submit_json(client: Any, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = client.post("/v1/comments", json=body, headers=headers)
    assert response.status_code == 202
    return response.get_json()["id"]


def production_environment(**variables: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MODERATION_") and k != "REDIS_URL"
    }
    return {**env, "MODERATION_ENV": "production", **variables}


@pytest.mark.parametrize(
    ("variables", "missing"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "MODERATION_SECRET_KEY"),
        ({"MODERATION_SECRET_KEY": "s" * 40}, "REDIS_URL"),
        (
            {"MODERATION_SECRET_KEY": "short", "REDIS_URL": "redis://127.0.0.1:6379/0"},
            "MODERATION_SECRET_KEY",
        ),
    ],
)
def test_production_refuses_to_start_without_its_secrets(
    tmp_path: Path, variables: dict[str, str], missing: str
) -> None:
    env = production_environment(MODERATION_STATE_DIR=str(tmp_path), **variables)
    result = subprocess.run(
        [sys.executable, "-m", "moderation", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was generated as a stand-in secret.
    assert not (tmp_path / "secret_key").exists()


def test_no_default_secret_each_development_state_gets_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    from moderation import config

    assert config.SETTINGS["SECRET_KEY"][0] == ""
    first = config.load({"STATE_DIR": str(tmp_path / "a")})["SECRET_KEY"]
    second = config.load({"STATE_DIR": str(tmp_path / "b")})["SECRET_KEY"]
    assert first != second and len(first) >= 32
    assert config.load({"STATE_DIR": str(tmp_path / "a")})["SECRET_KEY"] == first
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError, match="MODERATION_SECRET_KEY"):
        config.load({"STATE_DIR": str(tmp_path / "c"), "ENV": "production"})
