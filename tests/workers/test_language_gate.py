"""The language gate: a comment no model can read is never scored as if it were English.

Dutch and Swedish have no model (German, French and the others do: ``test_languages.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from moderation.policy import unread
from moderation.storage import Score, db
from tests.helpers import submit

DUTCH = {
    "name": "Joost",
    "text": (
        "Dit is een heel goed artikel, hartelijk dank voor de uitgebreide uitleg van de cijfers."
    ),
}
SWEDISH = {
    "name": "Astrid",
    "text": "Jag håller inte alls med författaren, men tack för en intressant artikel.",
}
SHORT = {"name": "Sam", "text": "lol ok"}


def comment(client: Any, keys: Any, comment_id: str) -> dict[str, Any]:
    return client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()


def test_unread_holds_by_default_publishes_if_the_site_says_banned_words_still_reject() -> None:
    assert unread("de").status == "held"
    assert unread("de").reasons == ["unscored", "language:de"]
    published = unread("fr", {"unknown_language": "publish"})
    assert (published.status, published.reasons) == ("approved", ["unscored", "language:fr"])
    banned = unread("fr", {"banned_words": ["casino"]}, text="le meilleur casino en ligne")
    assert banned.status == "rejected" and banned.reasons[0] == "banned_word"


def test_a_dutch_comment_is_held_unscored_with_its_language(
    client: Any, keys: Any, work: Any
) -> None:
    comment_id = submit(client, keys, **DUTCH)
    work()
    body = comment(client, keys, comment_id)
    assert body["status"] == "held"
    assert body["reasons"] == ["unscored", "language:nl"]
    assert body["scores"] in ({}, None)
    rows = db.session().scalars(select(Score).where(Score.comment_id == comment_id)).all()
    assert rows == []  # no score was made up for text the models cannot read
    queue = client.get("/v1/review/queue", headers=keys.headers("blog_moderator")).get_json()
    assert comment_id in [item["id"] for item in queue["items"]]


def test_a_site_may_publish_unread_comments_unscored(client: Any, keys: Any, work: Any) -> None:
    response = client.patch(
        "/v1/sites/blog/policy", json={"unknown_language": "publish"}, headers=keys.headers("admin")
    )
    assert response.status_code == 200, response.get_json()
    comment_id = submit(client, keys, **SWEDISH)
    work()
    body = comment(client, keys, comment_id)
    assert (body["status"], body["reasons"]) == ("approved", ["unscored", "language:sv"])


def test_the_setting_takes_only_hold_or_publish(client: Any, keys: Any) -> None:
    for value in ("drop", True, 1):
        response = client.patch(
            "/v1/sites/blog/policy", json={"unknown_language": value}, headers=keys.headers("admin")
        )
        assert response.status_code == 422, value


def test_short_english_text_is_scored_not_gated(client: Any, keys: Any, work: Any) -> None:
    comment_id = submit(client, keys, **SHORT)
    work()
    body = comment(client, keys, comment_id)
    assert body["status"] == "approved"
    assert not any(reason.startswith("language:") for reason in body["reasons"])
    assert body["scores"]
