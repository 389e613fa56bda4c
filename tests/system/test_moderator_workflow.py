"""The moderator's workflow in a real Chromium against a running ``moderation up``: readers'
reports on the card and in the Reported tab, notes, banning an author, closing a thread, search
and watch-lists, and the card's size on a laptop and a phone.

The service, the browser and the sign-in are ``test_moderator_page``'s (its ``Up``, Chromium and
``signed_in``), with one ``moderation up`` for this module, stopped at its end. Screenshots go
to docs/images/ with ``MODERATION_SCREENSHOTS=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.system.test_moderator_page import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Up,
    articles,
    chromium_or_skip,
    open_thread,
    screenshot,
    signed_in,
)

pytestmark = pytest.mark.slow

# A typical comment: two short sentences.
TYPICAL = (
    "I read the whole piece and I am not convinced by the numbers in the second table. "
    "Where do they come from, and why do they differ from last year's report?"
)
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    chromium_or_skip()
    service = Up(tmp_path_factory.mktemp("moderator-workflow"))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def browser(up: Up) -> Iterator[Any]:
    sync_api = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(up: Up) -> tuple[str, str]:
    """delta: pre-moderated, so every comment waits in the Held tab; its submit key."""
    return up.site("delta", {"premoderation": True})


def report(up: Up, key: str, comment_id: str, reader: str, reason: str, text: str) -> None:
    body = {"reason": reason, "text": text, "reader_id": reader}
    up.call("POST", f"/v1/comments/{comment_id}/reports", key, json=body)


def test_a_report_shows_on_the_card_and_in_the_reported_tab(
    up: Up, site: Any, browser: Any
) -> None:
    key = site[0]
    once = up.settled(up.submit(key, "Reported once.", "reports", email="a@example.org"))["id"]
    twice = up.settled(up.submit(key, TYPICAL, "reports", email="b@example.org"))["id"]
    report(up, key, once, "reader-1", "spam", "An advert.")
    report(up, key, twice, "reader-1", "abuse", "Rude to the author.")
    report(up, key, twice, "reader-2", "abuse", "Calls names.")
    page = signed_in(browser, up, up.moderator, viewport=LAPTOP)
    open_thread(page, up, "reports")
    card = page.locator(f"#c-{twice}")
    assert card.locator(".chip.reports").inner_text() == "2 reports: abuse"
    card.locator("details.details > summary").click()
    words = card.locator("section.reports").inner_text()
    assert "Rude to the author." in words and "Calls names." in words
    page.goto(f"{up.url}/moderate/?tab=reported&thread=reports")
    assert [a.get_attribute("data-id") for a in articles(page).all()] == [twice, once]
    assert page.locator('[data-count="reported"]').inner_text() == "2"
    screenshot(page, "queue-reported.png")


def test_add_a_note_with_the_keyboard(up: Up, site: Any, browser: Any) -> None:
    comment_id = up.settled(up.submit(site[0], "A comment to note.", "notes"))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "notes")
    page.keyboard.press("w")
    field = page.locator(f"#c-{comment_id} .note-text")
    assert field.evaluate("el => el === document.activeElement")
    field.type("Checked with the author: the quote is real.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#c-{comment_id} .note-list li")
    assert "the quote is real" in page.locator(f"#c-{comment_id} .note-list").inner_text()
    notes = up.comment(comment_id)["notes"]
    assert [n["text"] for n in notes] == ["Checked with the author: the quote is real."]
    # Who wrote it, as the API names them (the token is unnamed: "key <prefix>").
    by = f"— {notes[0]['moderator']}"
    assert notes[0]["moderator"].startswith("key ")
    assert by in page.locator(f"#c-{comment_id} .note-list").inner_text()
    page.reload()  # the note is the server's, not only the page's (behind the closed details)
    listed = page.locator(f"#c-{comment_id} .note-list").text_content()
    assert "the quote is real" in listed and by in listed


def test_ban_an_author_and_their_next_comment_is_rejected(up: Up, site: Any, browser: Any) -> None:
    key = site[0]
    email = "troll@example.org"
    first = up.settled(up.submit(key, "You are all sheep.", "ban", email=email))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "ban")
    page.keyboard.press("b")
    chip = page.locator(f'#c-{first} [data-flag="banned"]')
    chip.wait_for(state="visible")
    assert "Author banned" in page.locator("#toast").inner_text()
    page.locator(f"#c-{first} details.details > summary").click()
    assert page.locator(f"#c-{first}").get_by_role("button", name="Unban").is_visible()
    screenshot(page.locator(f"#c-{first}"), "card-details.png")
    later = up.settled(up.submit(key, "Still sheep, all of you.", "ban", email=email))
    assert later["status"] == "rejected" and "author_banned" in later["reasons"]
    # Undo (u) posts the opposite action (audited too): the author is no longer banned.
    author = page.locator(f"#c-{first}").get_attribute("data-author")
    page.keyboard.press("u")
    chip.wait_for(state="hidden")
    standing = up.call("GET", f"/v1/sites/delta/authors/{author}", up.moderator)
    assert standing["settings"]["banned"] is False
    assert [a["action"] for a in standing["actions"]] == ["unban", "ban"]


def test_close_a_thread_and_new_comments_are_refused(up: Up, site: Any, browser: Any) -> None:
    key = site[0]
    comment_id = up.settled(up.submit(key, "Last word on this.", "closing"))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "closing")
    page.keyboard.press("c")
    page.locator(f'#c-{comment_id} [data-flag="closed"]').wait_for(state="visible")
    refused = up.http.post(
        f"{up.url}/v1/comments",
        headers={"Authorization": f"Bearer {key}"},
        json={"name": "Reader", "text": "Too late?", "thread": {"id": "closing"}},
        timeout=30,
    )
    assert refused.status_code == 409, refused.text


def test_search_finds_a_comment(up: Up, site: Any, browser: Any) -> None:
    key = site[0]
    wanted = up.settled(up.submit(key, "The aubergine harvest was late.", "search"))["id"]
    up.settled(up.submit(key, "Nothing to see in this one.", "search"))
    page = signed_in(browser, up, up.moderator)
    page.keyboard.press("/")
    box = page.locator("#search-q")
    assert box.evaluate("el => el === document.activeElement")
    box.type("aubergine harv")  # every word, the last one as a prefix
    page.keyboard.press("Enter")
    page.wait_for_url("**q=aubergine+harv**")
    assert [a.get_attribute("data-id") for a in articles(page).all()] == [wanted]


def test_a_watch_list_queue(up: Up, site: Any, browser: Any) -> None:
    key = site[0]
    watched = [
        up.settled(up.submit(key, f"On the election story, {n}.", f"election-{n}"))["id"]
        for n in range(2)
    ]
    up.settled(up.submit(key, "On the weather story.", "weather"))
    made = up.call(
        "POST",
        "/v1/sites/delta/watch-lists",
        up.moderator,
        json={"name": "Elections", "thread_ids": ["election-0", "election-1"]},
    )
    page = signed_in(browser, up, up.moderator)
    page.get_by_label("Watch-list").select_option(label="delta: Elections")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**watch_list={made['id']}**")
    shown = [a.get_attribute("data-id") for a in articles(page).all()]
    assert sorted(shown) == sorted(watched)
    screenshot(page, "queue-watch-list.png")


def test_three_cards_on_a_laptop_screen(up: Up, site: Any, browser: Any, capsys: Any) -> None:
    key = site[0]
    ids = [up.submit(key, TYPICAL, "laptop", email=f"reader{n}@example.org") for n in range(4)]
    for comment_id in ids:
        up.settled(comment_id)
    page = signed_in(browser, up, up.moderator, viewport=LAPTOP)
    open_thread(page, up, "laptop")
    heights = [a.bounding_box()["height"] for a in articles(page).all()]
    with capsys.disabled():
        print(f"\ncard heights at 1366x768: {[round(h) for h in heights]} px")
    assert max(heights) <= 260, heights
    top = articles(page).nth(2).bounding_box()
    assert top["y"] + top["height"] <= LAPTOP["height"], "the third card is not on the screen"
    screenshot(page, "queue-laptop.png")


def test_phone_width_with_the_details_open(up: Up, site: Any, browser: Any) -> None:
    key = site[0]
    comment_id = up.settled(
        up.submit(key, TYPICAL + " " + "x" * 120, "phone", email="phone@example.org")
    )["id"]
    report(up, key, comment_id, "reader-9", "off_topic", "Not about the story at all.")
    page = signed_in(
        browser, up, up.moderator, viewport={"width": 375, "height": 800}, device_scale_factor=2
    )
    open_thread(page, up, "phone")
    page.keyboard.press("d")
    page.locator(f"#c-{comment_id} details.details[open]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for name in ("Approve", "Ban", "Close thread", "Add note"):
        button = page.locator(f"#c-{comment_id}").get_by_role("button", name=name)
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, name
    screenshot(page.locator(f"#c-{comment_id}"), "card-phone.png")
