"""The card's blog-spam, language and span lines are computed from the evaluation figures."""

from __future__ import annotations

from models.evaluate.blog_spam import blog_figures, card_section, report_section, targets


def results(clean_link_ok: int = 10) -> dict:
    per_case = {
        "blog_praise_link": {"n": 8, "ok": 7},
        "tech_support_scam": {"n": 8, "ok": 8},
        "clean_cites_link": {"n": 10, "ok": clean_link_ok},
        "clean_brand_phone_topic": {"n": 8, "ok": 8},
        "clean_with_link": {"n": 8, "ok": 8},
        "spam_link_money": {"n": 8, "ok": 0},  # not a blog case: not counted
    }
    return {"cases": {"spam_cases": {"per_case": per_case, "failures": []}}}


def test_blog_f1_counts_only_blog_cases() -> None:
    b = blog_figures(results())
    assert (b["spam"], b["missed"], b["clean"], b["false_alarms"]) == (16, 1, 18, 0)
    assert b["f1"] == round(2 * 15 / (2 * 15 + 0 + 1), 3)
    assert b["citing"] == 18 and b["citing_false_alarms"] == 0


def test_one_false_alarm_on_a_citing_comment_misses_the_target() -> None:
    assert "Met." in targets(results())[0]
    line = targets(results(clean_link_ok=9))[0]
    assert "**Not met.**" in line and "18 clean citing comments: 1" in line


def test_sections_render_without_span_or_language_figures() -> None:
    text = "\n".join(card_section(results()) + report_section(results()))
    assert "Not measured in this run." in text
