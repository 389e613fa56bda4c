"""The queue page: what a comment shows, tabs, filters, scope, pages, and decisions."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from moderation.storage import Comment, Decision, Webhook, WebhookEvent, db, utcnow
from tests.moderation.web.conftest import Page, stored_comment

INSULT = {
    "insult": [{"start": 8, "end": 13, "text": "idiot", "weight": 0.62}],
    "toxicity": [{"start": 8, "end": 13, "text": "idiot", "weight": 0.41}],
}


def article_ids(page_html: str) -> list[str]:
    return re.findall(r'<article class="comment" id="c-([0-9a-f-]+)"', page_html)


def test_a_held_comment_shows_its_spans_scores_reasons_versions_and_thread(
    moderator_page: Page,
) -> None:
    stored_comment(
        "blog",
        "you are idiot, really",
        {"insult": 0.81, "toxicity": 0.77, "spam": 0.02},
        reasons=["insult", "toxicity"],
        explanations=INSULT,
        thread={"id": "t-1", "url": "https://blog.example/post-1", "title": "First post"},
    )
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    # The span is a mark naming its labels and weights, strongest first, for the hover.
    assert '<mark class="span l-insult" tabindex="0" title="insult 0.62, toxicity 0.41"' in page
    assert ">idiot</mark>" in page
    assert '<li class="chip reason l-insult">insult</li>' in page
    assert 'value="0.810"' in page and "<code>toxicity-1.2.0</code>" in page
    assert 'href="https://blog.example/post-1"' in page and "First post" in page
    # Why, in words: the score beside the threshold in force (no model registered here: 0.50).
    assert "insult scored 0.81 (the site holds at 0.50)" in page


def test_a_word_reason_names_the_words(moderator_page: Page) -> None:
    stored_comment(
        "blog",
        "I like Bananas a lot",
        {"spam": 0.1},
        reasons=["suspect_word", "premoderation"],
        explanations={"suspect_word": [{"start": 7, "end": 14, "text": "Bananas", "weight": 1.0}]},
    )
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    words = re.sub(r"<[^>]+>", "", page)
    assert "a suspect word: Bananas; the site holds every comment (pre-moderation)" in words


def test_comment_text_is_escaped_never_markup(moderator_page: Page) -> None:
    hostile = '<img src=x onerror=alert(1)> and <script>alert("x")</script>'
    stored_comment(
        "blog",
        hostile,
        {"toxicity": 0.6},
        reasons=["toxicity"],
        explanations={"toxicity": [{"start": 0, "end": 28, "text": hostile[:28], "weight": 0.5}]},
        thread={"id": "t", "url": "javascript:alert(1)", "title": "<b>title</b>"},
    )
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    assert "<img src=x" not in page and '<script>alert("x")' not in page
    assert html.escape("<img src=x onerror=alert(1)>", quote=True) in page
    assert "&lt;script&gt;" in page
    assert "javascript:alert" not in page  # not a link target, and not shown as one
    assert "&lt;b&gt;title&lt;/b&gt;" in page


def test_tabs_count_each_status_and_the_unscored(moderator_page: Page) -> None:
    for _ in range(2):
        stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    stored_comment("blog", "no model could read it", status="held", reasons=["unscored"])
    stored_comment("blog", "spam", {"spam": 0.99}, status="rejected", reasons=["spam"])
    stored_comment("shop", "another site's", {"toxicity": 0.6}, reasons=["toxicity"])
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {
        "held": "3",
        "unscored": "1",
        "rejected": "1",
        "approved": "0",
        "reported": "0",
    }
    unscored = moderator_page.get("/moderate/?tab=unscored").get_data(as_text=True)
    assert len(article_ids(unscored)) == 1 and "no model could read it" in unscored


def test_a_site_token_sees_only_its_site(moderator_page: Page) -> None:
    mine = stored_comment("blog", "mine", {"toxicity": 0.6}, reasons=["toxicity"])
    theirs = stored_comment("shop", "theirs", {"toxicity": 0.6}, reasons=["toxicity"])
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    assert article_ids(page) == [mine]
    assert moderator_page.get("/moderate/?site=shop").status_code == 404
    assert moderator_page.get("/moderate/stats?site=shop").status_code == 404
    response = moderator_page.post_json(
        "/moderate/decisions", {"ids": [theirs], "action": "approve"}
    )
    assert response.get_json()["results"][0]["result"] == "not_found"
    with db.transaction() as session:
        assert session.get(Comment, theirs).status == "held"


def test_filters_and_sorts_are_the_apis(admin_page: Page) -> None:
    low = stored_comment("blog", "low", {"insult": 0.4}, reasons=["insult"])
    high = stored_comment("blog", "high", {"insult": 0.9}, reasons=["insult"])
    old = stored_comment(
        "shop", "old", {"spam": 0.7}, reasons=["spam"], created_at=utcnow() - timedelta(days=3)
    )
    by_score = admin_page.get("/moderate/?label=insult&sort=score").get_data(as_text=True)
    assert article_ids(by_score) == [high, low]
    at_least = admin_page.get("/moderate/?label=insult&min_score=0.5").get_data(as_text=True)
    assert article_ids(at_least) == [high]
    assert article_ids(admin_page.get("/moderate/?reason=spam").get_data(as_text=True)) == [old]
    assert article_ids(admin_page.get("/moderate/?site=shop").get_data(as_text=True)) == [old]
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    recent = admin_page.get(f"/moderate/?since={yesterday}").get_data(as_text=True)
    assert set(article_ids(recent)) == {low, high}
    until = (utcnow() - timedelta(days=3)).date().isoformat()
    assert article_ids(admin_page.get(f"/moderate/?until={until}").get_data(as_text=True)) == [old]
    assert admin_page.get("/moderate/?sort=score").status_code == 422  # needs a label


def test_pages_are_keyset_pages(moderator_page: Page) -> None:
    made = [
        stored_comment(
            "blog", f"comment {n}", {"toxicity": 0.6}, reasons=["toxicity"],
            created_at=utcnow() - timedelta(minutes=n),
        )
        for n in range(30)
    ]  # fmt: skip
    first = moderator_page.get("/moderate/").get_data(as_text=True)
    assert article_ids(first) == made[:25]
    next_url = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    second = moderator_page.get(next_url).get_data(as_text=True)
    assert article_ids(second) == made[25:]
    assert 'rel="next"' not in second


def test_the_authors_record_is_beside_the_comment(moderator_page: Page, keys: Any) -> None:
    for status in ("approved", "approved", "rejected"):
        stored_comment(
            "blog", f"earlier {status}", {"toxicity": 0.1}, status=status, author_hash="a1"
        )
    stored_comment("blog", "now", {"toxicity": 0.6}, reasons=["toxicity"], author_hash="a1")
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    assert "4 comments here:" in page
    assert "2 approved</span>" in page and "1 rejected</span>" in page
    assert "earlier rejected" in page


def test_a_decision_takes_the_apis_path_into_the_audit_log(moderator_page: Page, keys: Any) -> None:
    comment_id = stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    with db.transaction() as session:
        site_id = session.get(Comment, comment_id).site_id
        session.add(
            Webhook(
                site_id=site_id,
                url="https://blog.example/hook",
                events=["comment.decided"],
                salt="s",
            )
        )
    response = moderator_page.post_json(
        "/moderate/decisions",
        {"ids": [comment_id], "action": "spam", "reason": "crypto link", "expected_status": "held"},
    )
    assert response.status_code == 200
    assert response.get_json()["results"][0]["result"] == "decided"
    with db.transaction() as session:
        comment = session.get(Comment, comment_id)
        assert (comment.status, comment.reasons, comment.decided_by) == (
            "rejected",
            ["spam"],
            "moderator",
        )
        decision = session.scalars(select(Decision).where(Decision.actor == "moderator")).one()
        assert (decision.action, decision.note, decision.from_status) == (
            "spam",
            "crypto link",
            "held",
        )
        assert decision.key_id is not None
        events = session.scalars(
            select(WebhookEvent.type).where(WebhookEvent.decision_id == decision.id)
        )
        assert list(events) == ["comment.decided"]
    again = moderator_page.post_json(
        "/moderate/decisions", {"ids": [comment_id], "action": "approve", "expected_status": "held"}
    )
    assert again.get_json()["results"][0]["result"] == "conflict"


def test_bulk_decisions_and_bad_ones(moderator_page: Page) -> None:
    ids = [
        stored_comment("blog", f"h{n}", {"toxicity": 0.6}, reasons=["toxicity"]) for n in range(3)
    ]
    response = moderator_page.post_json("/moderate/decisions", {"ids": ids, "action": "reject"})
    assert [r["result"] for r in response.get_json()["results"]] == ["decided"] * 3
    for body in (
        {"ids": [], "action": "reject"},
        {"ids": ids, "action": "delete"},
        {"ids": "x", "action": "reject"},
    ):
        refused = moderator_page.post_json("/moderate/decisions", body)
        assert refused.status_code == 422 and "message" in refused.get_json()


def test_a_plain_form_decides_without_the_script(moderator_page: Page) -> None:
    comment_id = stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    response = moderator_page.post_form(
        "/moderate/decisions",
        {
            "ids": comment_id,
            "action": "approve",
            "expected_status": "held",
            "next": "/moderate/?tab=held",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/moderate/?tab=held"
    )
    with db.transaction() as session:
        assert session.get(Comment, comment_id).status == "approved"
