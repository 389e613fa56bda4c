"""CORS: browsers may call the API only from the origins registered for the key's site."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.http.cors import normalize_origin
from moderation.storage import Site, db
from tests.helpers import BLOG_ORIGIN, SHOP_ORIGIN, assert_error, count, post_comment, run_cli


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
    allowed = post_comment(client, {**blog, "Origin": BLOG_ORIGIN})
    assert allowed.status_code == 202
    assert allowed.headers["Access-Control-Allow-Origin"] == BLOG_ORIGIN
    assert "Location" in allowed.headers["Access-Control-Expose-Headers"]
    # shop.example is registered, but for shop: blog's key copied there stores nothing.
    for origin in (SHOP_ORIGIN, "https://evil.example", "null"):
        refused = post_comment(client, {**blog, "Origin": origin})
        assert_error(refused, 403)
        assert refused.headers.get("Access-Control-Allow-Origin") in (None, origin)
        assert refused.headers.get("Access-Control-Allow-Origin") != "*"
    read = client.get(f"/v1/comments/{comments['blog']}", headers={**blog, "Origin": SHOP_ORIGIN})
    assert_error(read, 403)
    # A site's backend sends no Origin: it is not a browser and its key is its credential.
    assert post_comment(client, blog).status_code == 202
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


@pytest.mark.parametrize(
    ("origin", "normalized"),
    [
        ("https://Blog.Example", "https://blog.example"),
        ("https://blog.example:443", "https://blog.example"),
        ("http://blog.example:80/", "http://blog.example"),
        ("https://blog.example:8443", "https://blog.example:8443"),
        ("  https://blog.example  ", "https://blog.example"),
        ("ftp://blog.example", None),
        ("blog.example", None),
        ("https://", None),
        ("https://blog.example:99999", None),
    ],
)
def test_origins_compare_by_scheme_host_and_port(origin: str, normalized: str | None) -> None:
    assert normalize_origin(origin) == normalized
