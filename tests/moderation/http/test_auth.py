"""Authentication and roles over HTTP: who may read, review, decide and administer what.

Every test talks to the API through Flask's test client on the real backends of ``conftest.py``
(SQLite or PostgreSQL, and a real Redis), and checks what is stored, not only the status code."""

from __future__ import annotations

import re
from typing import Any

from moderation.http.auth import Principal
from moderation.storage import Decision, Role, Site
from tests.helpers import assert_error, count, post_comment, run_cli, status_of


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
        assert_error(post_comment(client, keys.headers(name)), 403)


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
        response = post_comment(client, headers)
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


def test_revoked_key_fails_at_once_and_others_keep_working(
    client: Any, runner: Any, keys: Any
) -> None:
    key = run_cli(runner, "keys", "create", "--site", "blog", "--role", "submit").stdout.strip()
    moderator = run_cli(runner, "keys", "create", "--site", "blog", "--role", "moderate")
    headers = {"Authorization": f"Bearer {key}"}
    assert post_comment(client, headers).status_code == 202

    revoked = run_cli(runner, "keys", "revoke", key[:10])
    assert "revoked submit key" in revoked.output
    assert_error(post_comment(client, headers), 401)
    assert_error(client.get("/v1/review/queue", headers=headers), 401)
    # The same site's other keys still work; revoking twice finds no live key.
    assert post_comment(client, keys.headers("blog")).status_code == 202
    mod_headers = {"Authorization": f"Bearer {moderator.stdout.strip()}"}
    assert client.get("/v1/review/queue", headers=mod_headers).status_code == 200
    again = runner.invoke(args=["keys", "revoke", key[:10]])
    assert again.exit_code != 0 and "no live key" in again.output
    listing = run_cli(runner, "keys", "list").stdout
    line = next(line for line in listing.splitlines() if line.startswith(key[:10]))
    assert line.split("\t")[1:3] == ["submit", "blog"] and line.split("\t")[4] != "-"


def test_the_bearer_scheme_is_case_insensitive_and_the_key_trimmed(client: Any, keys: Any) -> None:
    plain = keys.plain["blog"]
    for header in (f"bearer {plain}", f"BEARER {plain}", f"Bearer   {plain}  "):
        assert post_comment(client, {"Authorization": header}).status_code == 202
    assert_error(post_comment(client, {"Authorization": f"Token {plain}"}), 401)


def test_a_principal_bound_to_no_site_covers_every_site() -> None:
    everywhere = Principal(key_id=1, role=Role.MODERATE, site_id=None)
    one_site = Principal(key_id=2, role=Role.MODERATE, site_id=7)
    assert everywhere.can_access_site(7) and everywhere.can_access_site(8)
    assert one_site.can_access_site(7) and not one_site.can_access_site(8)
