"""The review queue's search filters: ``q`` (text), ``author`` (either key) and ``watch_list``."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_error, submit
from tests.moderation.test_search import HOSTILE

QUEUE = "/v1/review/queue"


def queue(client: Any, keys: Any, key: str = "blog_moderator", **args: Any) -> Any:
    return client.get(QUEUE, query_string={"status": "pending", **args}, headers=keys.headers(key))


def ids(client: Any, keys: Any, key: str = "blog_moderator", **args: Any) -> set[str]:
    answer = queue(client, keys, key, **args)
    assert answer.status_code == 200, answer.get_json()
    return {item["id"] for item in answer.get_json()["items"]}


def test_q_finds_every_word_and_counts_what_it_finds(client: Any, keys: Any) -> None:
    chart = submit(client, keys, "The second chart helped a lot.")
    charts = submit(client, keys, "Both charts were wrong.")
    submit(client, keys, "I disagree with the conclusion.")
    assert ids(client, keys, q="chart") == {chart, charts}
    assert ids(client, keys, q="second chart") == {chart}
    assert ids(client, keys, q="Chart, SECOND!") == {chart}
    page = queue(client, keys, q="chart").get_json()
    assert page["counts"] == {"pending": 2}
    # With the other filters.
    assert ids(client, keys, q="chart", status="held") == set()


def test_q_pages_with_the_cursor(client: Any, keys: Any) -> None:
    found = {submit(client, keys, f"Spinach recipe number {n}.") for n in range(5)}
    submit(client, keys, "Nothing to do with it.")
    seen: list[str] = []
    cursor = None
    while True:
        args = {"q": "spinach", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = queue(client, keys, **args).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == found


def test_bad_searches_are_422_and_hostile_ones_never_fail(client: Any, keys: Any) -> None:
    chart = submit(client, keys, "The second chart helped a lot.")
    for query in ["", "   ", "!!!", '"', "*", "a" * 201, " ".join("w" * 17), "--"]:
        body = assert_error(queue(client, keys, q=query), 422)
        assert "q" in body["errors"]["query"], body
    for query in HOSTILE:
        assert ids(client, keys, q=query) <= {chart}, query
    assert_error(queue(client, keys, q="chart\x00"), 422)


def test_a_moderator_never_finds_another_sites_comments(client: Any, keys: Any) -> None:
    mine = submit(client, keys, "Secret spinach plans.")
    theirs = submit(client, keys, "Secret spinach plans.", site="shop")
    assert ids(client, keys, q="spinach") == {mine}
    assert ids(client, keys, key="shop_moderator", q="spinach") == {theirs}
    assert ids(client, keys, key="admin", q="spinach") == {mine, theirs}
    assert ids(client, keys, key="admin", q="spinach", site="shop") == {theirs}
    assert_error(queue(client, keys, q="spinach", site="shop"), 404)


def test_author_is_the_sites_own_id_or_the_email_hash(client: Any, keys: Any) -> None:
    by_id = submit(client, keys, "First.", author_id="user-7")
    by_mail = submit(client, keys, "Second.", email="ada@example.org")
    both = submit(client, keys, "Third.", author_id="user-7", email="ada@example.org")
    submit(client, keys, "Someone else.", author_id="user-8")
    assert ids(client, keys, author="user-7") == {by_id, both}
    listed = queue(client, keys, author="user-7").get_json()["items"]
    author_hash = next(item["author_hash"] for item in listed if item["author_hash"])
    assert ids(client, keys, author=author_hash) == {by_mail, both}
    assert ids(client, keys, author="user-7", q="third") == {both}
    # Another site's moderator: the same author id finds nothing of blog's.
    assert ids(client, keys, key="shop_moderator", author="user-7") == set()


def watch(client: Any, keys: Any, threads: list[str], site: str = "blog") -> int:
    answer = client.post(
        f"/v1/sites/{site}/watch-lists",
        json={"name": "Watched", "thread_ids": threads},
        headers=keys.headers(f"{site}_moderator"),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_watch_list_narrows_the_queue_to_its_threads(client: Any, keys: Any) -> None:
    vote = submit(client, keys, "About the vote.", thread={"id": "/2026/vote"})
    poll = submit(client, keys, "About the poll.", thread={"id": "/2026/poll"})
    submit(client, keys, "About the weather.", thread={"id": "/2026/weather"})
    submit(client, keys, "No thread at all.")
    # The same thread id on another site is another story.
    submit(client, keys, "Shop's vote.", site="shop", thread={"id": "/2026/vote"})
    list_id = watch(client, keys, ["/2026/vote", "/2026/poll"])
    assert ids(client, keys, watch_list=list_id) == {vote, poll}
    assert ids(client, keys, key="admin", watch_list=list_id) == {vote, poll}
    assert ids(client, keys, watch_list=list_id, q="poll") == {poll}
    assert queue(client, keys, watch_list=list_id).get_json()["counts"] == {"pending": 2}
    empty = client.post(
        "/v1/sites/blog/watch-lists",
        json={"name": "Empty", "thread_ids": []},
        headers=keys.headers("blog_moderator"),
    ).get_json()["id"]
    assert ids(client, keys, watch_list=empty) == set()

    # Another site's list: not found for its moderators; named with another site: 422.
    assert_error(queue(client, keys, key="shop_moderator", watch_list=list_id), 404)
    shop_list = watch(client, keys, ["/2026/vote"], site="shop")
    assert_error(queue(client, keys, watch_list=shop_list), 404)
    body = assert_error(queue(client, keys, key="admin", watch_list=list_id, site="shop"), 422)
    assert "watch_list" in body["errors"]["query"]
    assert_error(queue(client, keys, watch_list=999_999), 404)
    assert_error(queue(client, keys, watch_list=0), 422)
    assert_error(queue(client, keys, watch_list=2**31), 422)
