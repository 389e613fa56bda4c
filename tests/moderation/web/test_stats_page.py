"""The stats page: the API's figures, the server-drawn chart, and the thresholds to raise."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from moderation.stats import Review
from moderation.storage import ApiKey, db
from moderation.web.figures import bars, suggest
from tests.moderation.web.conftest import Page, stored_comment


def decide_all(page: Page, ids: list[str], action: str) -> None:
    response = page.post_json("/moderate/decisions", {"ids": ids, "action": action})
    assert {r["result"] for r in response.get_json()["results"]} == {"decided"}


def test_overturned_holds_show_in_the_table_the_chart_and_a_suggestion(
    moderator_page: Page,
) -> None:
    # Insult holds at 0.30-0.55 were approved by the moderator; those at 0.80+ were confirmed.
    low = [
        stored_comment("blog", f"mild {n}", {"insult": 0.30 + n * 0.05}, reasons=["insult"])
        for n in range(6)
    ]
    high = [
        stored_comment("blog", f"rude {n}", {"insult": 0.80 + n * 0.05}, reasons=["insult"])
        for n in range(3)
    ]
    decide_all(moderator_page, low, "approve")
    decide_all(moderator_page, high, "reject")
    page = moderator_page.get("/moderate/stats").get_data(as_text=True)
    row = re.search(r'<tr><th scope="row">insult</th>(.*?)</tr>', page).group(1)
    assert [cell for cell in re.findall(r"<td>([^<]*)</td>", row)] == ["9", "9", "6", "67%"]
    # The chart: one bar per reviewed reason, its width the rate of a 240 px track.
    assert '<svg role="img"' in page and 'width="160.0"' in page
    suggestion = re.search(r'<tr class="suggestion" data-label="insult">(.*?)</tr>', page, re.S)
    assert suggestion, "no suggestion for insult"
    text = suggestion.group(1)
    assert "hold" in text and "<strong>0.80</strong>" in text
    assert "6 overturned holds avoided; 0 confirmed ones" in text
    # The hold in force: the model's; no model is registered in this database, so the fallback.
    assert "<td>0.50</td>" in text


def test_stats_with_nothing_reviewed_say_so(moderator_page: Page) -> None:
    page = moderator_page.get("/moderate/stats").get_data(as_text=True)
    assert "No automatic verdict has been reviewed" in page
    assert "None: no label has enough reviewed verdicts" in page


def test_suggest_picks_the_lowest_threshold_that_meets_the_target() -> None:
    reviews = [Review(0.4, True), Review(0.5, True), Review(0.6, False), Review(0.7, True),
               Review(0.8, False), Review(0.9, False)]  # fmt: skip
    found = suggest("toxicity", "hold", reviews)
    assert found is not None
    # From 0.7 up, 1 of 3 is overturned (33%); from 0.8 up, none: 0.8.
    assert (found.threshold, found.avoided, found.missed) == (0.8, 3, 1)
    assert suggest("toxicity", "hold", reviews[:4]) is None  # too few reviewed
    assert suggest("toxicity", "hold", [Review(0.5 + n / 100, False) for n in range(9)]) is None


def test_bars_put_the_worst_rate_first() -> None:
    found = bars(
        {
            "spam": {"reviewed": 4, "overturn_rate": 0.25},
            "insult": {"reviewed": 2, "overturn_rate": 1.0},
            "threat": {"reviewed": 0, "overturn_rate": None},
        }
    )
    assert [(b.name, b.y, b.width) for b in found] == [("insult", 0, 240.0), ("spam", 22, 60.0)]


def test_the_per_moderator_table_names_each_moderator(moderator_page: Page, keys: Any) -> None:
    # Named with markup: the page shows it as text, never as HTML.
    with db.transaction() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.prefix == keys.plain["blog_moderator"][:10])
            .values(name="Dana <b>K</b>")
        )
    held = [
        stored_comment("blog", f"held {n}", {"insult": 0.6}, reasons=["insult"]) for n in range(3)
    ]
    decide_all(moderator_page, held[:2], "approve")
    decide_all(moderator_page, held[2:], "spam")
    page = moderator_page.get("/moderate/stats").get_data(as_text=True)
    assert "<b>K</b>" not in page
    row = re.search(r'<tr class="moderator"[^>]*><th scope="row">([^<]*)</th>(.*?)</tr>', page)
    assert row, "no row per moderator"
    assert row.group(1) == "Dana &lt;b&gt;K&lt;/b&gt;"
    # Decisions, approve, reject, spam, not spam, overturned by others, reviewed, overturned, rate.
    cells = re.findall(r"<td>([^<]*)</td>", row.group(2))
    assert cells == ["3", "2", "0", "1", "0", "0", "3", "2", "67%"]


def test_stats_with_no_moderator_decision_say_so(moderator_page: Page) -> None:
    page = moderator_page.get("/moderate/stats").get_data(as_text=True)
    assert "No moderator decided in this period." in page
