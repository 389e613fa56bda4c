"""Watch-lists through the API: CRUD, who may, the bounds, the audit rows and their events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.storage import ModeratorAction, Site, WatchList, Webhook, WebhookEvent, db
from moderation.watch_lists import MAX_LISTS_PER_SITE, MAX_THREADS
from tests.helpers import assert_error, count

LISTS = "/v1/sites/blog/watch-lists"


def make(client: Any, keys: Any, key: str = "blog_moderator", **body: Any) -> Any:
    return client.post(
        LISTS,
        json={"name": "Elections", "thread_ids": ["/2026/vote", "/2026/poll"], **body},
        headers=keys.headers(key),
    )


def actions() -> list[tuple[str, str, str, dict[str, Any]]]:
    """The audited actions on watch-lists, oldest first: (subject id, action, name, detail)."""
    db.remove()
    rows = db.session().scalars(
        select(ModeratorAction)
        .where(ModeratorAction.subject == "watch_list")
        .order_by(ModeratorAction.id)
    )
    return [(row.subject_id, row.action, row.detail["name"], row.detail) for row in rows]


def test_a_moderator_makes_reads_changes_and_deletes_a_list(client: Any, keys: Any) -> None:
    with db.transaction() as session:
        blog = session.scalar(select(Site).where(Site.name == "blog"))
        assert blog is not None
        session.add(
            Webhook(
                site_id=blog.id,
                url="https://127.0.0.1:9/never",
                events=["watch_list.updated"],
                salt="s",
            )
        )
    made = make(client, keys, thread_ids=["/2026/vote", "/2026/poll", "/2026/vote"])
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    list_id = body["id"]
    assert body["site"] == "blog" and body["name"] == "Elections"
    assert body["thread_ids"] == ["/2026/vote", "/2026/poll"]  # each once, in order
    assert body["links"] == {"queue": f"/v1/review/queue?watch_list={list_id}"}
    assert body["key_id"] is not None and body["created_at"]

    second = make(client, keys, key="admin", name="Sport", thread_ids=[])
    assert second.status_code == 201, second.get_json()
    listed = client.get(LISTS, headers=keys.headers("blog_moderator")).get_json()["items"]
    assert [item["name"] for item in listed] == ["Elections", "Sport"]

    one = client.get(f"{LISTS}/{list_id}", headers=keys.headers("blog_moderator"))
    assert one.status_code == 200 and one.get_json() == body

    changed = client.put(
        f"{LISTS}/{list_id}",
        json={"name": "Elections 2026", "thread_ids": ["/2026/debate"]},
        headers=keys.headers("blog_moderator"),
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["thread_ids"] == ["/2026/debate"]
    assert changed.get_json()["name"] == "Elections 2026"

    deleted = client.delete(f"{LISTS}/{list_id}", headers=keys.headers("blog_moderator"))
    assert deleted.status_code == 204
    assert_error(client.get(f"{LISTS}/{list_id}", headers=keys.headers("blog_moderator")), 404)
    assert count(WatchList) == 1

    assert [(subject, action, name) for subject, action, name, _ in actions()] == [
        (str(list_id), "create", "Elections"),
        (str(second.get_json()["id"]), "create", "Sport"),
        (str(list_id), "update", "Elections 2026"),
        (str(list_id), "delete", "Elections 2026"),
    ]
    assert actions()[2][3]["thread_ids"] == ["/2026/debate"]
    db.remove()
    events = db.session().scalars(select(WebhookEvent).order_by(WebhookEvent.created_at)).all()
    assert [event.type for event in events] == ["watch_list.updated"] * 4
    assert events[0].payload["data"]["action"]["subject"] == "watch_list"
    assert events[0].payload["data"]["action"]["detail"]["name"] == "Elections"


def test_names_are_unique_in_a_site_not_across_sites(client: Any, keys: Any) -> None:
    assert make(client, keys).status_code == 201
    assert_error(make(client, keys, thread_ids=[]), 409)
    other = client.post(
        "/v1/sites/shop/watch-lists",
        json={"name": "Elections", "thread_ids": []},
        headers=keys.headers("shop_moderator"),
    )
    assert other.status_code == 201
    second = make(client, keys, name="Second").get_json()["id"]
    renamed = client.put(
        f"{LISTS}/{second}",
        json={"name": "Elections", "thread_ids": []},
        headers=keys.headers("blog_moderator"),
    )
    assert_error(renamed, 409)
    # Keeping its own name is no conflict.
    kept = client.put(
        f"{LISTS}/{second}",
        json={"name": "Second", "thread_ids": ["/a"]},
        headers=keys.headers("blog_moderator"),
    )
    assert kept.status_code == 200
    assert [action for _, action, _, _ in actions()] == ["create", "create", "create", "update"]


def test_only_the_sites_moderators_and_admins(client: Any, keys: Any) -> None:
    list_id = make(client, keys).get_json()["id"]
    # Another site's moderator: as if neither the site nor the list existed.
    for method, path in [
        ("get", LISTS),
        ("get", f"{LISTS}/{list_id}"),
        ("delete", f"{LISTS}/{list_id}"),
    ]:
        assert_error(getattr(client, method)(path, headers=keys.headers("shop_moderator")), 404)
    assert_error(make(client, keys, key="shop_moderator", name="Mine"), 404)
    # A list of blog read through shop's path: not found, whoever asks.
    assert_error(
        client.get(f"/v1/sites/shop/watch-lists/{list_id}", headers=keys.headers("admin")), 404
    )
    # A site key submits comments; it reads no lists.
    assert_error(client.get(LISTS, headers=keys.headers("blog")), 403)
    assert_error(make(client, keys, key="blog", name="Mine"), 403)
    assert_error(client.get(LISTS), 401)
    assert client.delete(f"{LISTS}/{list_id}", headers=keys.headers("admin")).status_code == 204
    assert count(WatchList) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "thread_ids": []},
        {"name": " padded", "thread_ids": []},
        {"name": "padded ", "thread_ids": []},
        {"name": "two\nlines", "thread_ids": []},
        {"name": "line\n", "thread_ids": []},
        {"name": "x" * 101, "thread_ids": []},
        {"name": "No threads"},
        {"thread_ids": []},
        {"name": "Too many", "thread_ids": [f"/t/{n}" for n in range(MAX_THREADS + 1)]},
        {"name": "Empty id", "thread_ids": [""]},
        {"name": "Long id", "thread_ids": ["t" * 201]},
        {"name": "Not text", "thread_ids": [1]},
        {"name": "Unknown", "thread_ids": [], "owner": "me"},
    ],
)
def test_invalid_lists_are_422_and_store_nothing(
    client: Any, keys: Any, body: dict[str, Any]
) -> None:
    answer = client.post(LISTS, json=body, headers=keys.headers("blog_moderator"))
    assert_error(answer, 422)
    assert count(WatchList) == 0 and count(ModeratorAction) == 0


def test_the_bounds_themselves_are_allowed(client: Any, keys: Any) -> None:
    threads = [f"/t/{n}" for n in range(MAX_THREADS)]
    answer = make(client, keys, name="x" * 100, thread_ids=threads)
    assert answer.status_code == 201, answer.get_json()
    assert len(answer.get_json()["thread_ids"]) == MAX_THREADS


def test_a_site_has_at_most_so_many_lists(client: Any, keys: Any) -> None:
    with db.transaction() as session:
        blog = session.scalar(select(Site).where(Site.name == "blog"))
        assert blog is not None
        session.add_all(
            WatchList(site_id=blog.id, name=f"list {n}", thread_ids=[])
            for n in range(MAX_LISTS_PER_SITE)
        )
    assert_error(make(client, keys), 409)
    assert count(WatchList) == MAX_LISTS_PER_SITE


def test_unknown_and_huge_ids_are_404(client: Any, keys: Any) -> None:
    for list_id in ("999", str(2**31), str(2**70)):
        answer = client.get(f"{LISTS}/{list_id}", headers=keys.headers("blog_moderator"))
        assert_error(answer, 404)
