"""The workflow on each card: reports, notes, the author's standing, the thread, and the Reported
tab; every post through the domain's own functions, audited as the API's are."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from moderation import reports
from moderation.storage import (
    AuthorSetting,
    Comment,
    ModeratorAction,
    Note,
    ThreadSetting,
    db,
    utcnow,
)
from tests.moderation.web.conftest import Page, stored_comment

AUTHOR = "b" * 64
THREAD = {"id": "/2026/12/budget", "url": "https://blog.example/budget", "title": "Budget"}


def article_ids(page_html: str) -> list[str]:
    return re.findall(r'<article class="comment" id="c-([0-9a-f-]+)"', page_html)


def reported(comment_id: str, *readers: tuple[str, str, str | None]) -> None:
    """Readers' reports through the domain, as ``POST /v1/comments/<id>/reports`` stores them."""
    with db.transaction() as session:
        comment = session.get_one(Comment, comment_id)
        for reader, reason, text in readers:
            reports.report(session, comment, reader, reason, text)


def held(text: str = "held for a look", **kwargs: Any) -> str:
    kwargs.setdefault("author_hash", AUTHOR)
    kwargs.setdefault("thread", THREAD)
    kwargs.setdefault("reasons", ["toxicity"])
    return stored_comment("blog", text, {"toxicity": 0.6}, **kwargs)


def actions_on(subject_id: str) -> list[tuple[str, str, int | None]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(ModeratorAction)
            .where(ModeratorAction.subject_id == subject_id)
            .order_by(ModeratorAction.id)
        )
        return [(row.subject, row.action, row.key_id) for row in rows]


def test_a_card_shows_reports_notes_standing_and_thread(moderator_page: Page) -> None:
    comment_id = held()
    reported(comment_id, ("r1", "abuse", "Calls me names <b>"), ("r2", "abuse", None))
    posted = moderator_page.post_form(
        f"/moderate/comments/{comment_id}/notes", {"text": "Seen before.", "next": "/moderate/"}
    )
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/moderate/")
    moderator_page.post_json(f"/moderate/comments/{comment_id}/author", {"action": "ban"})
    moderator_page.post_json(f"/moderate/comments/{comment_id}/thread", {"action": "close"})
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    assert "2 reports: abuse" in page
    assert "Calls me names &lt;b&gt;" in page  # the reader's words, as text
    assert "Seen before." in page
    assert re.search(r'data-flag="banned"\s*>author banned', page)
    assert re.search(r'data-flag="closed"\s*>thread closed', page)
    assert re.search(r'data-flag="trusted"\s+hidden', page)
    assert re.search(r'value="unban" data-when="banned"\s*>', page)


def test_author_actions_go_through_the_domain_and_the_audit_log(moderator_page: Page) -> None:
    comment_id = held()
    before = utcnow()
    answer = moderator_page.post_json(
        f"/moderate/comments/{comment_id}/author", {"action": "suspend_7d", "note": "third time"}
    )
    assert answer.status_code == 201
    until = answer.get_json()["standing"]["suspended_until"]
    assert until is not None
    with db.transaction() as session:
        setting = session.scalar(select(AuthorSetting).where(AuthorSetting.author_key == AUTHOR))
        assert setting is not None and setting.suspended_until is not None
        length = setting.suspended_until - before
        assert timedelta(days=7) <= length < timedelta(days=7, minutes=1)
    for action in ("premoderate", "trust", "ban", "unban", "unsuspend"):
        answer = moderator_page.post_json(
            f"/moderate/comments/{comment_id}/author", {"action": action}
        )
        assert answer.status_code == 201, answer.get_json()
    standing = answer.get_json()["standing"]
    # Trust came after pre-moderation: the newer one wins, as through the API.
    assert standing == {
        "banned": False,
        "suspended_until": None,
        "premoderated": False,
        "trusted": True,
    }
    done = actions_on(AUTHOR)
    assert [a for _, a, _ in done] == [
        "suspend", "premoderate", "trust", "ban", "unban", "unsuspend",
    ]  # fmt: skip
    assert {subject for subject, _, _ in done} == {"author"}
    assert all(key_id is not None for _, _, key_id in done)


def test_thread_actions_and_notes_on_the_author(moderator_page: Page) -> None:
    comment_id = held()
    for action in ("close", "premoderate"):
        answer = moderator_page.post_json(
            f"/moderate/comments/{comment_id}/thread", {"action": action}
        )
        assert answer.status_code == 201
    assert answer.get_json()["state"] == {"closed": True, "premoderated": True}
    with db.transaction() as session:
        setting = session.scalar(select(ThreadSetting))
        assert setting is not None and setting.thread_id == THREAD["id"] and setting.closed
    answer = moderator_page.post_json(
        f"/moderate/comments/{comment_id}/notes", {"text": "Regular.", "on": "author"}
    )
    assert answer.status_code == 201 and answer.get_json()["on"] == "author"
    with db.transaction() as session:
        note = session.scalar(select(Note))
        assert note is not None and (note.subject, note.subject_id) == ("author", AUTHOR)
    assert [a for _, a, _ in actions_on(THREAD["id"])] == ["close", "premoderate"]
    assert [a for _, a, _ in actions_on(AUTHOR)] == ["note"]


def test_bad_posts_are_4xx_and_change_nothing(moderator_page: Page, keys: Any) -> None:
    comment_id = held()
    nobody = held("no e-mail, no thread", author_hash=None, thread={})
    shop = stored_comment("shop", "another site's", {"toxicity": 0.6}, reasons=["toxicity"])
    cases = [
        (f"/moderate/comments/{comment_id}/author", {"action": "suspend"}, 422),
        (f"/moderate/comments/{comment_id}/author", {"action": "ban", "note": 5}, 422),
        (f"/moderate/comments/{comment_id}/author", {"action": ["ban"]}, 422),
        (f"/moderate/comments/{nobody}/author", {"action": "ban"}, 422),
        (f"/moderate/comments/{nobody}/thread", {"action": "close"}, 422),
        (f"/moderate/comments/{comment_id}/thread", {"action": "delete"}, 422),
        (f"/moderate/comments/{comment_id}/notes", {"text": ""}, 422),
        (f"/moderate/comments/{comment_id}/notes", {"text": "x" * 5001}, 422),
        (f"/moderate/comments/{comment_id}/notes", {"text": "ok", "on": "thread"}, 422),
        (f"/moderate/comments/{nobody}/notes", {"text": "ok", "on": "author"}, 422),
        (f"/moderate/comments/{shop}/author", {"action": "ban"}, 404),
        (f"/moderate/comments/{shop}/notes", {"text": "ok"}, 404),
        ("/moderate/comments/nope/thread", {"action": "close"}, 404),
    ]
    for path, body, code in cases:
        answer = moderator_page.post_json(path, body)
        assert answer.status_code == code, (path, body, answer.get_json())
        assert answer.get_json()["message"]
    # No CSRF token: refused before anything happens.
    refused = moderator_page.post_form(
        f"/moderate/comments/{comment_id}/author", {"action": "ban"}, with_csrf=False
    )
    assert refused.status_code == 400
    with db.transaction() as session:
        assert session.scalars(select(ModeratorAction)).all() == []
        assert session.scalars(select(AuthorSetting)).all() == []
        assert session.scalars(select(Note)).all() == []


def test_the_reported_tab_most_reports_first_then_most_recent(moderator_page: Page) -> None:
    quiet = held("never reported")
    one = held("one report")
    two = held("two reports", status="approved", reasons=[])
    later_one = held("one report, later")
    reported(one, ("r1", "spam", None))
    reported(two, ("r1", "abuse", None), ("r2", "other", "meh"))
    reported(later_one, ("r1", "off_topic", None))
    page = moderator_page.get("/moderate/?tab=reported").get_data(as_text=True)
    assert article_ids(page) == [two, later_one, one]
    assert quiet not in page
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts["reported"] == "3" and counts["held"] == "3"
    # The sort select does not apply to the reported queue (its order is its own).
    again = moderator_page.get("/moderate/?tab=reported&sort=oldest")
    assert again.status_code == 200 and article_ids(again.get_data(as_text=True))[0] == two


def test_search_author_and_thread_in_the_search_bar(moderator_page: Page) -> None:
    soup = held("A recipe for spinach soup.", author_hash="c" * 64, thread={"id": "food"})
    held("Nothing about cooking here.", thread={"id": "food"})
    page = moderator_page.get("/moderate/?q=spinach").get_data(as_text=True)
    assert article_ids(page) == [soup]
    assert 'id="search-q" name="q" value="spinach"' in page
    assert article_ids(moderator_page.get("/moderate/?q=spin").get_data(as_text=True)) == [soup]
    by_author = moderator_page.get(f"/moderate/?author={'c' * 64}&thread=food")
    assert article_ids(by_author.get_data(as_text=True)) == [soup]
    # A search without a word, or too long, is a 422 that says why.
    for bad in ("%21%21%21", "x" * 201):
        answer = moderator_page.get(f"/moderate/?q={bad}")
        assert answer.status_code == 422 and "The filters are not valid" in answer.get_data(
            as_text=True
        )


def test_a_watch_list_narrows_the_queue_to_its_threads(moderator_page: Page) -> None:
    from moderation import watch_lists
    from moderation.storage import Site

    watched = held("On a watched story.", thread={"id": "election"})
    held("On another story.", thread={"id": "weather"})
    with db.transaction() as session:
        blog = session.scalar(select(Site).where(Site.name == "blog"))
        shop = session.scalar(select(Site).where(Site.name == "shop"))
        assert blog is not None and shop is not None
        mine = watch_lists.create(session, blog, "Elections", ["election", "recount"], None).id
        theirs = watch_lists.create(session, shop, "Shop", ["election"], None).id
    page = moderator_page.get("/moderate/").get_data(as_text=True)
    assert f'<option value="{mine}" >Elections</option>' in page
    assert "Shop</option>" not in page  # another site's list is not offered
    listed = moderator_page.get(f"/moderate/?watch_list={mine}").get_data(as_text=True)
    assert article_ids(listed) == [watched]
    assert f'<option value="{mine}" selected>Elections</option>' in listed
    assert moderator_page.get(f"/moderate/?watch_list={theirs}").status_code == 404
    assert moderator_page.get("/moderate/?watch_list=nope").status_code == 422


def test_the_history_and_notes_name_the_moderator(moderator_page: Page, keys: Any) -> None:
    from moderation.keys import hash_key
    from moderation.storage import ApiKey

    with db.transaction() as session:
        key = session.scalar(
            select(ApiKey).where(ApiKey.key_hash == hash_key(keys.plain["blog_moderator"]))
        )
        key.name = "Dana <Desk>"
    comment_id = held()
    moderator_page.post_form(
        f"/moderate/comments/{comment_id}/notes",
        {"text": "Asked the author.", "next": "/moderate/"},
    )
    decided = moderator_page.post_json(
        "/moderate/decisions", {"ids": [comment_id], "action": "reject", "expected_status": "held"}
    )
    assert decided.status_code == 200, decided.get_data(as_text=True)
    page = moderator_page.get("/moderate/?tab=rejected").get_data(as_text=True)
    assert 'Asked the author. <span class="by">— Dana &lt;Desk&gt;</span>' in page
    assert "Dana &lt;Desk&gt;: reject (held → rejected)" in page
    assert "policy: score" in page  # the policy's own verdict keeps its actor
