"""Deployment-wide spam signals through the real worker: the same text on several sites, many
comments from one address or author, links to domains moderators rejected as spam."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from moderation.policy import decide
from moderation.storage import Comment, Role, SpamDomain, db
from tests.helpers import decide as moderate
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
    # One copy, from one other site: not independent evidence, even at a count of 1.
    assert "near_duplicate" not in bodies["second"]["reasons"]
    body = bodies["third"]
    assert body["status"] != "approved", body
    assert "near_duplicate" in body["reasons"], body
    reason = body["explanations"]["near_duplicate"][0]["reason"]
    assert reason == (
        "same text as 2 comments in the last hour on 2 other sites "
        "(copies from one site alone never count)"
    ), reason
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


def test_copies_from_one_other_site_never_hold_here(client: Any, keys: Any, work: Any) -> None:
    """Near-duplicate poisoning: one other site's public key cannot get a text held here.

    Three copies posted with shop's key from one address (then three more from three
    addresses: client addresses are the poster's to choose) leave the same text on blog alone.
    """
    for _ in range(3):
        submit_from(client, keys, "203.0.113.5", CAMPAIGN, site="shop")
    work()
    here = submit_from(client, keys, "198.51.100.20", CAMPAIGN, site="blog")
    for n in range(3):
        submit_from(client, keys, f"192.0.2.{n + 1}", CAMPAIGN, site="shop")
    work()
    later = submit_from(client, keys, "198.51.100.21", CAMPAIGN, site="blog")
    work()
    for comment_id in (here, later):
        body = comment(client, keys, "blog", comment_id)
        assert "near_duplicate" not in body["reasons"], body
        assert "near_duplicate" not in body["explanations"], body


def test_copies_from_two_other_sites_hold_here(client: Any, keys: Any, work: Any) -> None:
    keys.make("news", Role.SUBMIT, "news")
    submit_from(client, keys, "203.0.113.5", CAMPAIGN, site="shop")
    submit_from(client, keys, "203.0.113.5", CAMPAIGN.replace("$500", "$900"), site="shop")
    submit_from(client, keys, "203.0.113.6", CAMPAIGN, site="news")
    work()
    here = submit_from(client, keys, "198.51.100.20", CAMPAIGN, site="blog")
    work()
    body = comment(client, keys, "blog", here)
    assert body["status"] == "held" and "near_duplicate" in body["reasons"], body
    assert body["explanations"]["near_duplicate"][0]["reason"] == (
        "same text as 3 comments in the last hour on 2 other sites "
        "(copies from one site alone never count)"
    )


SPAM_LINKED = (
    "Best essays written overnight by real professors, order now at https://www.cheap-essays.biz/order",
    "Need your homework done? Our writers never miss a deadline: cheap-essays.biz",
    "Thanks for sharing! I found great help for my thesis at cheap-essays dot biz last week.",
)
CITING = "The second chart matches what I saw, for what it is worth: https://cheap-essays.biz/blog"


def spam_rejected(
    client: Any, keys: Any, work: Any, texts: Iterable[str], action: str = "spam", **fields: Any
) -> list[str]:
    """Submit these comments on blog, score them, and have blog's moderator decide each."""
    sent = [submit(client, keys, text, site="blog", **fields) for text in texts]
    work()
    for comment_id in sent:
        moderate(client, keys, comment_id, action)
    return sent


def test_a_domain_rejected_as_spam_twice_holds_new_links_to_it(
    client: Any, keys: Any, work: Any
) -> None:
    spam_rejected(client, keys, work, SPAM_LINKED[:1])
    once = submit(client, keys, CITING, site="shop")
    work()
    # One rejection is not enough by default (a slip of the button, a padding link).
    assert "spam_domain" not in comment(client, keys, "shop", once)["reasons"]
    spam_rejected(client, keys, work, SPAM_LINKED[1:2])
    # On another site, and through the author's URL field only.
    twice = submit(client, keys, OTHER, site="shop", url="http://cheap-essays.biz/")
    elsewhere = submit(client, keys, OTHER + " See https://example.org/data", site="shop")
    plain = submit(client, keys, OTHER + " No link here.", site="shop")
    work()
    body = comment(client, keys, "shop", twice)
    assert body["status"] == "held" and "spam_domain" in body["reasons"], body
    assert body["explanations"]["spam_domain"][0]["reason"] == (
        "links to cheap-essays.biz, rejected as spam by a moderator 2 times in the last 90 days"
    )
    for comment_id in (elsewhere, plain):
        assert "spam_domain" not in comment(client, keys, "shop", comment_id)["reasons"]
    rows = db.session().scalars(select(SpamDomain.domain)).all()
    assert rows == ["cheap-essays.biz", "cheap-essays.biz"], rows


def test_the_sites_count_and_null_turn_the_spam_domain_signal(
    client: Any, keys: Any, work: Any
) -> None:
    spam_rejected(client, keys, work, SPAM_LINKED[:1])
    for site, count in (("blog", 1), ("shop", None)):
        response = client.patch(
            f"/v1/sites/{site}/policy",
            json={"signals": {"spam_domain": count}},
            headers=keys.headers("admin"),
        )
        assert response.status_code == 200, response.get_json()
    on_blog = submit(client, keys, CITING, site="blog")
    on_shop = submit(client, keys, CITING, site="shop")
    work()
    body = comment(client, keys, "blog", on_blog)
    assert "spam_domain" in body["reasons"], body
    assert body["explanations"]["spam_domain"][0]["reason"] == (
        "links to cheap-essays.biz, rejected as spam by a moderator once in the last 90 days"
    )
    assert "spam_domain" not in comment(client, keys, "shop", on_shop)["reasons"]


def test_reference_shared_and_own_domains_never_count(client: Any, keys: Any, work: Any) -> None:
    links = (
        " https://en.wikipedia.org/wiki/Essay https://www.youtube.com/watch?v=x"
        " https://blog.example/about https://data.census.gov/table"
    )
    spam_rejected(client, keys, work, [text + links for text in SPAM_LINKED[:2]])
    later = submit(client, keys, OTHER + links, site="blog")
    work()
    assert "spam_domain" not in comment(client, keys, "blog", later)["reasons"]
    # Only the spam's own domain was recorded, not the citations, YouTube or blog's own.
    assert set(db.session().scalars(select(SpamDomain.domain))) == {"cheap-essays.biz"}


def test_a_corrected_spam_rejection_stops_counting(client: Any, keys: Any, work: Any) -> None:
    first, _ = spam_rejected(client, keys, work, SPAM_LINKED[:2])
    moderate(client, keys, first, "not_spam")
    later = submit(client, keys, CITING, site="shop")
    work()
    assert "spam_domain" not in comment(client, keys, "shop", later)["reasons"]
    assert len(db.session().scalars(select(SpamDomain.domain)).all()) == 1


def test_a_plain_reject_never_counts_only_the_spam_decision_does(
    client: Any, keys: Any, work: Any
) -> None:
    """As the labels (issue 20): spam = 1 only from a spam decision. A plain rejection of a
    comment the policy held for spam (and maybe for abuse too) says nothing about its links."""
    response = client.patch(
        "/v1/sites/blog/policy",
        json={"thresholds": {"spam": {"hold": 0.0, "reject": None}}},
        headers=keys.headers("admin"),
    )
    assert response.status_code == 200, response.get_json()
    spam_rejected(client, keys, work, SPAM_LINKED[:1], action="reject")
    db.remove()
    assert db.session().scalars(select(SpamDomain.domain)).all() == []
    spam_rejected(client, keys, work, SPAM_LINKED[1:2], action="spam")
    db.remove()
    assert db.session().scalars(select(SpamDomain.domain)).all() == ["cheap-essays.biz"]
