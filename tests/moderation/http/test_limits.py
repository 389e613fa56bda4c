"""Rate limits per client IP and per key, shared through Redis, and the client IP behind proxies."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select

from moderation import create_app
from moderation.cli.embedded import EmbeddedRedis
from moderation.exceptions import ConfigurationError
from moderation.privacy import keyed_hash
from moderation.storage import Comment, db
from tests.helpers import (
    COMMENT,
    ERROR_KEYS,
    assert_error,
    count,
    from_ip,
    post_comment,
    stored_ip_hash,
)


def limited_app(app_config: dict[str, Any], **limits: str) -> Any:
    settings = {
        "RATE_LIMIT_SUBMIT": "1000 per minute",
        "RATE_LIMIT_DEFAULT": "1000 per minute",
        "RATE_LIMIT_KEY": "1000 per minute",
        **limits,
    }
    return create_app({**app_config, "RATE_LIMIT_ENABLED": True, **settings})


def test_submissions_are_limited_per_client_ip_with_retry_after(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    limited = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute")
    client = limited.test_client()
    blog = keys.headers("blog")
    for _ in range(2):
        assert post_comment(client, blog, **from_ip("198.51.100.1")).status_code == 202
    refused = post_comment(client, blog, **from_ip("198.51.100.1"))
    body = assert_error(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "2 per 1 minute" in body["message"]
    # The buckets are keyed by the address's keyed hash, never the address, nor the key.
    bucket_names = b" ".join(limited.extensions["redis"].keys("*limits*"))
    assert bucket_names and b"198.51.100.1" not in bucket_names
    assert keys.plain["blog"].encode() not in bucket_names
    # Another reader of the same site is not affected; reading is not a submission.
    assert post_comment(client, blog, **from_ip("198.51.100.2")).status_code == 202
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
        assert post_comment(client, blog, **from_ip(f"203.0.113.{number}")).status_code == 202
    assert_error(client.get("/v1/comments/x", headers=blog, **from_ip("203.0.113.9")), 429)
    assert post_comment(client, keys.headers("shop"), **from_ip("203.0.113.9")).status_code == 202


def test_every_request_is_limited_per_client_ip_across_keys(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    client = limited_app(app_config, RATE_LIMIT_DEFAULT="3 per minute").test_client()
    same = from_ip("192.0.2.5")
    assert post_comment(client, keys.headers("blog"), **same).status_code == 202
    assert post_comment(client, keys.headers("shop"), **same).status_code == 202
    assert client.get("/v1/review/queue", headers=keys.headers("admin"), **same).status_code == 200
    assert_error(client.get("/openapi.json", **same), 429)
    assert post_comment(client, keys.headers("blog"), **from_ip("192.0.2.6")).status_code == 202


def test_limits_are_shared_by_all_api_processes_through_redis(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    first = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute").test_client()
    second = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute").test_client()
    same = from_ip("198.51.100.7")
    assert post_comment(first, keys.headers("blog"), **same).status_code == 202
    assert post_comment(second, keys.headers("blog"), **same).status_code == 202
    assert_error(post_comment(first, keys.headers("blog"), **same), 429)
    assert_error(post_comment(second, keys.headers("blog"), **same), 429)


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
        assert post_comment(client, keys.headers("blog"), **same).status_code == 202
        server.stop()
        # Redis is gone: the limiter cannot count there, yet the comments are stored (202) ...
        for _ in range(4):
            assert post_comment(client, keys.headers("blog"), **same).status_code == 202
        # ... and each process still limits, counting afresh in its memory, not at all.
        assert_error(post_comment(client, keys.headers("blog"), **same), 429)
    assert count() == 5


@pytest.mark.slow
def test_real_api_processes_share_one_count_and_accept_submissions_once_redis_is_gone(
    tmp_path: Path,
) -> None:
    from tests.system.processes import RedisServer, Service, sqlite_url

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


def test_forwarded_for_is_ignored_unless_proxy_hops_are_configured(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    spoofed = {**keys.headers("blog"), "X-Forwarded-For": "192.0.2.99"}
    direct = limited_app(app_config, RATE_LIMIT_SUBMIT="1 per minute")
    client = direct.test_client()
    first = post_comment(client, spoofed, **from_ip("10.0.0.1"))
    secret_key = direct.config["SECRET_KEY"]
    assert stored_ip_hash(first.get_json()["id"]) == keyed_hash("10.0.0.1", secret_key)
    # Another spoofed address does not buy a fresh rate-limit bucket either.
    other = {**keys.headers("blog"), "X-Forwarded-For": "192.0.2.100"}
    assert_error(post_comment(client, other, **from_ip("10.0.0.1")), 429)

    behind_proxy = limited_app({**app_config, "PROXY_HOPS": 1}, RATE_LIMIT_SUBMIT="1 per minute")
    client = behind_proxy.test_client()
    forwarded = post_comment(client, spoofed, **from_ip("10.0.0.2"))
    secret_key = behind_proxy.config["SECRET_KEY"]
    assert stored_ip_hash(forwarded.get_json()["id"]) == keyed_hash("192.0.2.99", secret_key)
    # Behind one proxy, each forwarded client has its own bucket; the proxy's address has none.
    assert post_comment(client, other, **from_ip("10.0.0.2")).status_code == 202
    assert_error(post_comment(client, spoofed, **from_ip("10.0.0.2")), 429)


@pytest.mark.parametrize("name", ["RATE_LIMIT_SUBMIT", "RATE_LIMIT_DEFAULT", "RATE_LIMIT_KEY"])
def test_an_invalid_rate_limit_stops_the_app_naming_the_setting(
    app_config: dict[str, Any], name: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"MODERATION_{name}"):
        create_app({**app_config, name: "sixty a minute"})


def test_an_ipv6_client_is_counted_by_its_slash_64(app_config: dict[str, Any], keys: Any) -> None:
    client = limited_app(app_config, RATE_LIMIT_SUBMIT="2 per minute").test_client()
    blog = keys.headers("blog")
    # Fresh addresses in one /64 share one bucket...
    for host in ("1", "2"):
        assert post_comment(client, blog, **from_ip(f"2001:db8:1:2::{host}")).status_code == 202
    assert_error(post_comment(client, blog, **from_ip("2001:db8:1:2:ffff::3")), 429)
    # ...the next /64 is another client.
    assert post_comment(client, blog, **from_ip("2001:db8:1:3::1")).status_code == 202
