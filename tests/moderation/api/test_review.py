"""The review queue: sorts and cursor pages, bulk decisions, history, an author's record."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.helpers import submit

HOLD_ALL = {
    "premoderation": True,
    "thresholds": {"spam": {"reject": None}, "severe_toxicity": {"reject": None}},
}

TEXTS = [
    "Great write-up, thanks for the detail on the second chart.",
    "BUY CHEAP PILLS NOW http://pills.example.com best prices!!!",
    "I disagree with the conclusion, the sample is too small.",
    "Click here to win a free iPhone http://win.example.net",
    "You are an idiot and your article is garbage.",
    "Earn $5000 a week from home, visit http://money.example.org",
    "Nice photos. Where was the third one taken?",
]


def hold_everything(client: Any, keys: Any) -> None:
    response = client.put("/v1/sites/blog/policy", json=HOLD_ALL, headers=keys.headers("admin"))
    assert response.status_code == 200


def all_pages(client: Any, keys: Any, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        args = {**query, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/review/queue", query_string=args, headers=keys.headers("admin"))
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize(("sort", "highest_first"), [("score", True), ("score_asc", False)])
def test_sort_by_score_pages_through_every_comment_once_in_order(
    client: Any, keys: Any, work: Any, sort: str, highest_first: bool
) -> None:
    hold_everything(client, keys)
    # Repeated texts score the same: ties must be broken the same way on every page.
    ids = [submit(client, keys, text) for text in TEXTS + TEXTS[:3]]
    work()
    items = all_pages(client, keys, sort=sort, label="spam", limit=3)
    assert sorted(item["id"] for item in items) == sorted(ids)
    keys_in_order = [(item["scores"]["spam"], item["id"]) for item in items]
    assert keys_in_order == sorted(keys_in_order, reverse=highest_first)
    assert len({score for score, _ in keys_in_order}) < len(keys_in_order)  # there were ties
    # Spam scores high: the spam texts come first when sorted highest first.
    top = items[0] if highest_first else items[-1]
    assert "http://" in top["text"]


def test_time_sorts_and_filters_page_consistently(client: Any, keys: Any, work: Any) -> None:
    hold_everything(client, keys)
    ids = [submit(client, keys, text, thread={"id": "post-1"}) for text in TEXTS]
    submit(client, keys, TEXTS[0], thread={"id": "post-2"})
    work()
    newest = all_pages(client, keys, thread="post-1", limit=2)
    assert [item["id"] for item in newest] == [
        item["id"] for item in reversed(all_pages(client, keys, thread="post-1", sort="oldest"))
    ]
    assert sorted(item["id"] for item in newest) == sorted(ids)
    spammy = all_pages(client, keys, label="spam", min_score=0.5)
    assert spammy and all(item["scores"]["spam"] >= 0.5 for item in spammy)


def test_bad_sort_arguments_are_422(client: Any, keys: Any) -> None:
    headers = keys.headers("admin")
    no_label = client.get("/v1/review/queue", query_string={"sort": "score"}, headers=headers)
    assert no_label.status_code == 422 and "sort" in no_label.get_json()["errors"]["query"]
    hold_everything(client, keys)
    for text in TEXTS[:3]:
        submit(client, keys, text)
    first = client.get(
        "/v1/review/queue", query_string={"limit": 1, "status": "pending"}, headers=headers
    )
    cursor = first.get_json()["next_cursor"]
    assert cursor
    # A cursor of the time sort cannot continue a score sort.
    mixed = client.get(
        "/v1/review/queue",
        query_string={"cursor": cursor, "sort": "score", "label": "spam"},
        headers=headers,
    )
    assert mixed.status_code == 422
    garbage = client.get("/v1/review/queue", query_string={"cursor": "!!"}, headers=headers)
    assert garbage.status_code == 422
    naive = base64.urlsafe_b64encode(json.dumps(["newest", "2026-01-01T00:00:00", "x"]).encode())
    no_timezone = client.get(
        "/v1/review/queue", query_string={"cursor": naive.decode()}, headers=headers
    )
    assert no_timezone.status_code == 422


def test_bulk_decisions_give_a_result_per_id(client: Any, keys: Any) -> None:
    first, second, third = (submit(client, keys, text) for text in TEXTS[:3])
    other_site = submit(client, keys, TEXTS[3], site="shop")
    headers = keys.headers("blog_moderator")
    single = client.post(
        f"/v1/comments/{third}/decision", json={"action": "reject"}, headers=headers
    )
    assert single.status_code == 201
    response = client.post(
        "/v1/review/decisions",
        json={
            "ids": [first, second, third, other_site, "nope", first],
            "action": "approve",
            "reason": "looks fine",
            "expected_status": "pending",
        },
        headers=headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["id"], r["result"], r["status"]) for r in body["results"]] == [
        (first, "decided", "approved"),
        (second, "decided", "approved"),
        (third, "conflict", "rejected"),
        (other_site, "not_found", None),
        ("nope", "not_found", None),
    ]
    assert body["decided"] == [first, second] and body["conflict"] == [third]
    history = client.get(f"/v1/comments/{first}/history", headers=headers).get_json()
    (decision,) = history["decisions"]
    assert decision["id"] == body["results"][0]["decision_id"]
    assert (decision["action"], decision["note"], decision["to_status"]) == (
        "approve",
        "looks fine",
        "approved",
    )
    # The other site's comment was left alone.
    shop_view = client.get(f"/v1/comments/{other_site}", headers=keys.headers("shop")).get_json()
    assert shop_view["status"] == "pending"


def test_single_decision_with_a_stale_status_is_409(client: Any, keys: Any) -> None:
    comment_id = submit(client, keys, TEXTS[0])
    headers = keys.headers("blog_moderator")
    url = f"/v1/comments/{comment_id}/decision"
    ok = client.post(url, json={"action": "approve", "expected_status": "pending"}, headers=headers)
    assert ok.status_code == 201
    late = client.post(url, json={"action": "spam", "expected_status": "pending"}, headers=headers)
    assert late.status_code == 409
    history = client.get(f"/v1/comments/{comment_id}/history", headers=headers).get_json()
    assert [d["action"] for d in history["decisions"]] == ["approve"]


def test_an_authors_earlier_comments_and_decisions(client: Any, keys: Any) -> None:
    headers = keys.headers("blog_moderator")
    author = {"email": "Troll@Example.org"}
    earlier = [submit(client, keys, text, **author) for text in TEXTS[:3]]
    latest = submit(client, keys, TEXTS[4], email="troll@EXAMPLE.org")
    submit(client, keys, TEXTS[5], email="someone.else@example.org")
    submit(client, keys, TEXTS[6], site="shop", **author)
    client.post(
        f"/v1/comments/{earlier[0]}/decision",
        json={"action": "reject", "reason": "rude"},
        headers=headers,
    )
    client.post(f"/v1/comments/{earlier[1]}/decision", json={"action": "approve"}, headers=headers)

    history = client.get(f"/v1/comments/{latest}/history", headers=headers).get_json()
    author_hash = history["comment"]["author_hash"]
    # The case of the e-mail does not make a new author; the other site's comment is apart.
    assert history["comment"]["author_counts"] == {"rejected": 1, "approved": 1, "pending": 2}
    record = client.get(f"/v1/review/authors/{author_hash}", headers=headers)
    assert record.status_code == 200
    body = record.get_json()
    assert body["counts"] == {"rejected": 1, "approved": 1, "pending": 2}
    assert [c["id"] for c in body["comments"]] == [latest, *reversed(earlier)]
    assert [(d["comment_id"], d["action"]) for d in body["decisions"]] == [
        (earlier[1], "approve"),
        (earlier[0], "reject"),
    ]
    assert body["first_seen"] <= body["last_seen"]
    # The queue shows the same record with each comment.
    queue = client.get(
        "/v1/review/queue",
        query_string={"status": "pending", "author": author_hash},
        headers=headers,
    ).get_json()
    assert {item["id"] for item in queue["items"]} == {latest, earlier[2]}
    assert all(item["author_counts"]["rejected"] == 1 for item in queue["items"])
    # A moderator of another site sees only that site's comments of the same author.
    shop = client.get(f"/v1/review/authors/{author_hash}", headers=keys.headers("shop_moderator"))
    assert shop.get_json()["counts"] == {"pending": 1} and shop.get_json()["decisions"] == []
