"""The labels a rejecting moderator names, from the page (form and script) and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from moderation.storage import Decision, db
from tests.moderation.web.conftest import Page, stored_comment


def rejection_reasons(comment_id: str) -> list[str]:
    with db.transaction() as session:
        decision = session.scalars(
            select(Decision).where(Decision.comment_id == comment_id, Decision.action == "reject")
        ).one()
        return list(decision.reasons)


def test_the_page_names_a_rejections_labels(moderator_page: Page) -> None:
    stored_comment("blog", "held", {"toxicity": 0.6}, reasons=["toxicity"])
    shown = moderator_page.get("/moderate/").get_data(as_text=True)
    assert '<select name="labels" class="labels">' in shown
    by_form = stored_comment("blog", "missed", {"toxicity": 0.1}, status="approved")
    response = moderator_page.post_form(
        "/moderate/decisions", {"ids": by_form, "action": "reject", "labels": "threat"}
    )
    assert response.status_code == 303
    assert rejection_reasons(by_form) == ["threat"]
    by_script = stored_comment("blog", "missed", {"toxicity": 0.1}, status="approved")
    response = moderator_page.post_json(
        "/moderate/decisions", {"ids": [by_script], "action": "reject", "labels": ["insult"]}
    )
    assert response.status_code == 200
    assert rejection_reasons(by_script) == ["insult"]
    # "(as held)" names nothing.
    plain = stored_comment("blog", "missed", {"toxicity": 0.1}, status="approved")
    moderator_page.post_form(
        "/moderate/decisions", {"ids": plain, "action": "reject", "labels": ""}
    )
    assert rejection_reasons(plain) == []
    for body in (
        {"ids": [plain], "action": "approve", "labels": ["insult"]},
        {"ids": [plain], "action": "reject", "labels": ["spam"]},
        {"ids": [plain], "action": "reject", "labels": "insult"},
    ):
        assert moderator_page.post_json("/moderate/decisions", body).status_code == 422, body


def test_the_api_names_a_rejections_labels(client: Any, keys: Any) -> None:
    comment_id = stored_comment("blog", "missed", {"toxicity": 0.1}, status="approved")
    headers = keys.headers("blog_moderator")
    response = client.post(
        f"/v1/comments/{comment_id}/decision",
        json={"action": "reject", "labels": ["identity_attack", "threat"]},
        headers=headers,
    )
    assert response.status_code == 201, response.json
    assert response.json["reasons"] == ["identity_attack", "threat"]
    for body in (
        {"action": "approve", "labels": ["insult"]},
        {"action": "reject", "labels": ["spam"]},
    ):
        refused = client.post(f"/v1/comments/{comment_id}/decision", json=body, headers=headers)
        assert refused.status_code == 422, body
    bulk = client.post(
        "/v1/review/decisions",
        json={"ids": [comment_id], "action": "reject", "labels": ["profanity"]},
        headers=headers,
    )
    assert bulk.status_code == 200 and bulk.json["decided"] == [comment_id]
