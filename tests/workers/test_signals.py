"""Deployment-wide spam signals through the real worker: the same text on several sites."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from moderation.policy import decide
from moderation.storage import Comment, Role, db
from tests.helpers import from_ip, submit

CAMPAIGN = (
    "Make $500 a day from home with our proven system, no experience needed, "
    "message me on whatsapp for the details"
)
OTHER = "I read the whole article and I think the second chart is missing the 2019 figures."


def comment(client: Any, keys: Any, site: str, comment_id: str) -> dict[str, Any]:
    return client.get(f"/v1/comments/{comment_id}", headers=keys.headers(site)).get_json()


def submit_from(
    client: Any, keys: Any, address: str, text: str, site: str = "blog", **fields: Any
) -> str:
    """Submit a comment from this client address; its id."""
    response = client.post(
        "/v1/comments",
        json={"name": "Reader", "text": text, **fields},
        headers=keys.headers(site),
        **from_ip(address),
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def test_a_signal_holds_at_the_sites_count_and_not_below() -> None:
    assert decide({}, signals={"near_duplicate": 3}).reasons == ["near_duplicate"]
    assert decide({}, signals={"near_duplicate": 2}).status == "approved"
    assert decide({}, {"signals": {"near_duplicate": 2}}, signals={"near_duplicate": 2}).status == (
        "held"
    )
    assert decide(
        {}, {"signals": {"near_duplicate": None}}, signals={"near_duplicate": 9}
    ).status == ("approved")


def test_the_same_text_on_three_sites_holds_the_later_ones(
    client: Any, keys: Any, work: Any
) -> None:
    keys.make("news", Role.SUBMIT, "news")
    for site in ("blog", "shop", "news"):
        response = client.patch(
            f"/v1/sites/{site}/policy",
            json={"signals": {"near_duplicate": 1}},
            headers=keys.headers("admin"),
        )
        assert response.status_code == 200, response.get_json()
    first = submit(client, keys, CAMPAIGN, site="blog")
    # Re-spelled and re-numbered, as campaigns do from post to post.
    second = submit(client, keys, CAMPAIGN.replace("$500", "$700").replace("o", "0"), site="shop")
    third = submit(client, keys, CAMPAIGN + "!!", site="news")
    unrelated = submit(client, keys, OTHER, site="blog")
    work()
    bodies = {
        name: comment(client, keys, site, comment_id)
        for name, site, comment_id in (
            ("first", "blog", first),
            ("second", "shop", second),
            ("third", "news", third),
            ("unrelated", "blog", unrelated),
        )
    }
    assert "near_duplicate" not in bodies["first"]["reasons"]
    assert "near_duplicate" not in bodies["unrelated"]["reasons"]
    for name, matches, sites in (("second", 1, 1), ("third", 2, 2)):
        body = bodies[name]
        assert body["status"] != "approved", body
        assert "near_duplicate" in body["reasons"], body
        reason = body["explanations"]["near_duplicate"][0]["reason"]
        others = "1 comment" if matches == 1 else f"{matches} comments"
        places = "1 site" if sites == 1 else f"{sites} sites"
        assert reason == f"same text as {others} in the last hour on {places}", reason
    stored = db.session().scalars(select(Comment.fingerprint)).all()
    assert all(fp is not None for fp in stored)


def test_copies_on_the_same_site_are_not_a_cross_site_campaign(
    client: Any, keys: Any, work: Any
) -> None:
    response = client.patch(
        "/v1/sites/blog/policy",
        json={"signals": {"near_duplicate": 1}},
        headers=keys.headers("admin"),
    )
    assert response.status_code == 200, response.get_json()
    sent = [submit(client, keys, CAMPAIGN, site="blog") for _ in range(3)]
    work()
    for comment_id in sent:
        assert "near_duplicate" not in comment(client, keys, "blog", comment_id)["reasons"]


def test_by_default_two_copies_are_not_yet_a_campaign(client: Any, keys: Any, work: Any) -> None:
    first = submit(client, keys, CAMPAIGN, site="blog")
    second = submit(client, keys, CAMPAIGN, site="shop")
    work()
    assert "near_duplicate" not in comment(client, keys, "blog", first)["reasons"]
    assert "near_duplicate" not in comment(client, keys, "shop", second)["reasons"]


def test_the_signal_counts_must_be_known_and_positive(client: Any, keys: Any) -> None:
    for signals in ({"near_duplicat": 2}, {"near_duplicate": 0}, {"near_duplicate": "x"}):
        response = client.patch(
            "/v1/sites/blog/policy", json={"signals": signals}, headers=keys.headers("admin")
        )
        assert response.status_code == 422, signals


def test_many_comments_from_one_address_hold_the_later_ones(
    client: Any, keys: Any, work: Any
) -> None:
    response = client.patch(
        "/v1/sites/blog/policy",
        json={"signals": {"velocity_ip": 3}},
        headers=keys.headers("admin"),
    )
    assert response.status_code == 200, response.get_json()
    texts = [f"{OTHER} Also, point {n} of the list reads oddly to me." for n in "abcd"]
    sent = [submit_from(client, keys, "203.0.113.7", text) for text in texts]
    elsewhere = submit_from(client, keys, "198.51.100.9", texts[0].upper())
    work()
    bodies = [comment(client, keys, "blog", comment_id) for comment_id in sent]
    assert ["velocity_ip" in body["reasons"] for body in bodies] == [False, False, True, True]
    for n, body in ((3, bodies[2]), (4, bodies[3])):
        assert body["status"] != "approved", body
        reason = body["explanations"]["velocity_ip"][0]["reason"]
        assert reason == f"{n} comments from this network address in the last 10 minutes", reason
    assert "velocity_ip" not in comment(client, keys, "blog", elsewhere)["reasons"]


def test_many_comments_from_one_author_hold_the_later_ones(
    client: Any, keys: Any, work: Any
) -> None:
    for site in ("blog", "shop"):
        response = client.patch(
            f"/v1/sites/{site}/policy",
            json={"signals": {"velocity_author": 2}},
            headers=keys.headers("admin"),
        )
        assert response.status_code == 200, response.get_json()
    first = submit_from(client, keys, "203.0.113.1", OTHER, email="fast@example.org")
    second = submit_from(
        client, keys, "203.0.113.2", OTHER + " Thanks.", site="shop", email="fast@example.org"
    )
    work()
    assert "velocity_author" not in comment(client, keys, "blog", first)["reasons"]
    body = comment(client, keys, "shop", second)
    assert "velocity_author" in body["reasons"], body
    assert body["explanations"]["velocity_author"][0]["reason"] == (
        "2 comments from this author in the last 10 minutes"
    )
