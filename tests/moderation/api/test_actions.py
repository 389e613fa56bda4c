"""Readers' reports, moderators' actions on authors and threads, and notes, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from moderation.policy import Author, Standing, decide
from moderation.storage import (
    CommentStatus,
    ModeratorAction,
    Note,
    Report,
    Site,
    Webhook,
    WebhookEvent,
    db,
)
from tests.helpers import assert_error, count, run_cli, submit

FINE = "Thanks for the article, the second chart helped a lot."


def report(
    client: Any,
    keys: Any,
    comment_id: str,
    key: str = "blog",
    environ_base: dict[str, str] | None = None,
    **body: Any,
) -> Any:
    return client.post(
        f"/v1/comments/{comment_id}/reports",
        json={"reason": "abuse", **body},
        headers=keys.headers(key),
        **({"environ_base": environ_base} if environ_base else {}),
    )


def comment(client: Any, keys: Any, comment_id: str, key: str = "blog_moderator") -> Any:
    response = client.get(f"/v1/comments/{comment_id}", headers=keys.headers(key))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def author_action(client: Any, keys: Any, author: str, action: str, **body: Any) -> Any:
    return client.post(
        f"/v1/sites/blog/authors/{author}/actions",
        json={"action": action, **body},
        headers=keys.headers("blog_moderator"),
    )


def thread_action(client: Any, keys: Any, thread: str, action: str) -> Any:
    return client.post(
        "/v1/sites/blog/threads/actions",
        json={"thread": thread, "action": action, "note": "busy story"},
        headers=keys.headers("blog_moderator"),
    )


def subscribe_everything() -> None:
    """A webhook of blog for every event; its deliveries go nowhere (loopback is refused)."""
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        assert site is not None
        from moderation.webhooks import EVENT_TYPES

        session.add(
            Webhook(
                site_id=site.id, url="https://127.0.0.1:9/never", events=list(EVENT_TYPES), salt="s"
            )
        )


def event_types() -> list[str]:
    db.remove()
    return list(
        db.session().scalars(select(WebhookEvent.type).order_by(WebhookEvent.created_at)).all()
    )


def test_reports_count_once_per_reader_and_rehold_an_approved_comment(
    client: Any, keys: Any, work: Any
) -> None:
    subscribe_everything()
    first = submit(client, keys, FINE)
    other = submit(client, keys, "I disagree with the conclusion, the sample is too small.")
    work()
    assert comment(client, keys, first)["status"] == "approved"

    answer = report(client, keys, first, reader_id="r1", text="rude to me")
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["report_count"] == 1
    # The same reader again: refused, not counted.
    assert_error(report(client, keys, first, reader_id="r1"), 409)
    # Without a reader id the client address is the reader.
    assert report(client, keys, other).status_code == 201
    assert_error(report(client, keys, other, reason="spam"), 409)
    # Another site's key, a moderator's, a reason off the list.
    assert_error(report(client, keys, first, key="shop"), 404)
    assert_error(report(client, keys, first, key="blog_moderator"), 403)
    assert_error(report(client, keys, first, reason="ugly", reader_id="r9"), 422)

    assert report(client, keys, first, reader_id="r2", reason="spam").status_code == 201
    third = report(client, keys, first, reader_id="r3")
    assert third.get_json() | {"created_at": None} == {
        "comment_id": first,
        "reason": "abuse",
        "created_at": None,
        "report_count": 3,
        "status": "held",
    }
    held = comment(client, keys, first)
    assert held["reasons"] == ["reported"] and held["decided_by"] == "reports"
    assert held["report_reasons"] == {"abuse": 2, "spam": 1}
    assert [r["text"] for r in held["reports"]] == ["rude to me", None, None]
    assert not any("reader" in key for r in held["reports"] for key in r)
    # The site sees the counts, not the readers' words.
    public = comment(client, keys, first, key="blog")
    assert public["report_count"] == 3 and "reports" not in public and "notes" not in public

    history = client.get(f"/v1/comments/{first}/history", headers=keys.headers("blog_moderator"))
    rehold = history.get_json()["decisions"][-1]
    assert (rehold["actor"], rehold["action"], rehold["from_status"], rehold["to_status"]) == (
        "reports",
        "rehold",
        "approved",
        "held",
    )
    # A fourth report does not hold it again.
    assert report(client, keys, first, reader_id="r4").get_json()["status"] == "held"
    assert event_types().count("comment.reported") == 5
    assert event_types().count("comment.decided") == 1

    # The reported queue: every status, most reports first, in keyset pages.
    queue = "/v1/review/queue?queue=reported&limit=1"
    page = client.get(queue, headers=keys.headers("blog_moderator")).get_json()
    assert [item["id"] for item in page["items"]] == [first]
    assert page["counts"] == {"held": 1, "approved": 1}
    cursor = page["next_cursor"]
    page = client.get(f"{queue}&cursor={cursor}", headers=keys.headers("blog_moderator"))
    assert [item["id"] for item in page.get_json()["items"]] == [other]
    assert page.get_json()["next_cursor"] is None
    approved = client.get(
        "/v1/review/queue?queue=reported&status=approved", headers=keys.headers("blog_moderator")
    )
    assert [item["id"] for item in approved.get_json()["items"]] == [other]
    assert_error(
        client.get("/v1/review/queue?queue=reported&sort=oldest", headers=keys.headers("admin")),
        422,
    )
    assert_error(client.get("/v1/review/queue?sort=reports", headers=keys.headers("admin")), 422)


def test_a_site_can_turn_the_rehold_off(client: Any, keys: Any, work: Any) -> None:
    response = client.patch(
        "/v1/sites/blog/policy", json={"rehold_after_reports": None}, headers=keys.headers("admin")
    )
    assert response.status_code == 200, response.get_json()
    first = submit(client, keys, FINE)
    work()
    for reader in ("a", "b", "c", "d"):
        assert report(client, keys, first, reader_id=reader).status_code == 201
    assert comment(client, keys, first)["status"] == "approved"


def test_author_actions_apply_to_new_comments_and_are_audited(
    client: Any, keys: Any, work: Any
) -> None:
    subscribe_everything()
    assert author_action(client, keys, "u1", "ban", note="troll").status_code == 201
    banned = submit(client, keys, FINE, author_id="u1")
    # Another author of the site, and the same id on another site, are not touched.
    free = submit(client, keys, FINE, author_id="u2")
    elsewhere = submit(client, keys, FINE, site="shop", author_id="u1")
    work()
    assert comment(client, keys, banned)["reasons"] == ["author_banned"]
    assert comment(client, keys, banned)["status"] == "rejected"
    assert comment(client, keys, free)["status"] == "approved"
    assert comment(client, keys, elsewhere, key="shop")["status"] == "approved"

    assert author_action(client, keys, "u1", "unban").status_code == 201
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert author_action(client, keys, "u1", "suspend", until=until).status_code == 201
    suspended = submit(client, keys, FINE, author_id="u1")
    work()
    assert comment(client, keys, suspended)["reasons"] == ["author_suspended"]
    assert author_action(client, keys, "u1", "unsuspend").status_code == 201

    # Keyed by the e-mail hash when the form sends no author id.
    listed = comment(client, keys, free)
    hashed = submit(client, keys, FINE, email="ada@example.org")
    work()
    author_hash = client.get(
        f"/v1/comments/{hashed}/history", headers=keys.headers("blog_moderator")
    ).get_json()["comment"]["author_hash"]
    assert author_action(client, keys, author_hash, "premoderate").status_code == 201
    held = submit(client, keys, FINE, email="ada@example.org")
    work()
    assert comment(client, keys, held)["status"] == "held"
    assert comment(client, keys, held)["reasons"] == ["author_premoderated"]
    assert author_action(client, keys, author_hash, "trust").status_code == 201
    trusted = submit(client, keys, FINE, email="ada@example.org")
    work()
    assert comment(client, keys, trusted)["reasons"] == ["author_trusted"]
    assert listed["status"] == "approved"

    record = client.get("/v1/sites/blog/authors/u1", headers=keys.headers("blog_moderator"))
    body = record.get_json()
    assert body["settings"] == {
        "banned": False,
        "suspended_until": None,
        "premoderated": False,
        "trusted": False,
    }
    assert [a["action"] for a in body["actions"]] == ["unsuspend", "suspend", "unban", "ban"]
    assert body["actions"][-1]["note"] == "troll"
    assert body["counts"] == {"rejected": 2}
    assert {c["id"] for c in body["comments"]} == {banned, suspended}
    assert "author.updated" in event_types()

    # Scope, roles and input rules.
    assert_error(
        client.get("/v1/sites/blog/authors/u1", headers=keys.headers("shop_moderator")), 404
    )
    assert_error(client.get("/v1/sites/blog/authors/u1", headers=keys.headers("blog")), 403)
    assert_error(author_action(client, keys, "u1", "suspend"), 422)
    assert_error(author_action(client, keys, "u1", "ban", until=until), 422)
    assert_error(author_action(client, keys, "u1", "vanish"), 422)


def test_a_closed_thread_refuses_comments_and_a_premoderated_one_holds_them(
    client: Any, keys: Any, work: Any
) -> None:
    story = {"id": "/2026/12/story"}
    early = {"name": "Reader", "text": FINE, "thread": story, "client_id": "c-1"}
    stored = client.post("/v1/comments", json=early, headers=keys.headers("blog"))
    assert thread_action(client, keys, story["id"], "close").status_code == 201
    # A retry of a comment stored before the thread closed gets its answer, not a 409.
    retried = client.post("/v1/comments", json=early, headers=keys.headers("blog"))
    assert retried.get_json()["id"] == stored.get_json()["id"]
    refused = client.post(
        "/v1/comments",
        json={"name": "Reader", "text": FINE, "thread": story},
        headers=keys.headers("blog"),
    )
    assert "closed" in assert_error(refused, 409)["message"]
    # Another thread, and the same thread id on another site, stay open.
    submit(client, keys, FINE, thread={"id": "other"})
    submit(client, keys, FINE, site="shop", thread=story)

    assert thread_action(client, keys, story["id"], "reopen").status_code == 201
    answer = thread_action(client, keys, story["id"], "premoderate")
    assert answer.get_json()["closed"] is False and answer.get_json()["premoderated"] is True
    held = submit(client, keys, FINE, thread=story)
    work()
    assert comment(client, keys, held)["reasons"] == ["thread_premoderated"]

    listed = client.get("/v1/sites/blog/threads", headers=keys.headers("blog_moderator"))
    assert [item["thread"] for item in listed.get_json()["items"]] == [story["id"]]
    view = client.get(
        "/v1/sites/blog/threads",
        query_string={"thread": story["id"]},
        headers=keys.headers("blog_moderator"),
    ).get_json()["items"][0]
    assert [a["action"] for a in view["actions"]] == ["premoderate", "reopen", "close"]
    assert view["actions"][0]["note"] == "busy story"
    assert_error(
        client.post(
            "/v1/sites/blog/threads/actions",
            json={"thread": "x", "action": "close"},
            headers=keys.headers("shop_moderator"),
        ),
        404,
    )


def test_notes_on_comments_and_authors_are_for_moderators(client: Any, keys: Any) -> None:
    subscribe_everything()
    first = submit(client, keys, FINE, author_id="u7")
    note = client.post(
        f"/v1/comments/{first}/notes",
        json={"text": "Checked the source: fine."},
        headers=keys.headers("blog_moderator"),
    )
    assert note.status_code == 201, note.get_json()
    assert [n["text"] for n in comment(client, keys, first)["notes"]] == [
        "Checked the source: fine."
    ]
    assert_error(
        client.post(
            f"/v1/comments/{first}/notes", json={"text": "x"}, headers=keys.headers("blog")
        ),
        403,
    )
    assert_error(
        client.post(
            f"/v1/comments/{first}/notes", json={"text": ""}, headers=keys.headers("admin")
        ),
        422,
    )
    author_note = client.post(
        "/v1/sites/blog/authors/u7/notes",
        json={"text": "Regular, often sharp."},
        headers=keys.headers("admin"),
    )
    assert author_note.status_code == 201
    record = client.get("/v1/sites/blog/authors/u7", headers=keys.headers("blog_moderator"))
    assert [n["text"] for n in record.get_json()["notes"]] == ["Regular, often sharp."]
    assert [a["action"] for a in record.get_json()["actions"]] == ["note"]
    assert event_types() == ["note.added", "note.added"]


def test_the_policy_puts_moderators_settings_first() -> None:
    scores = {"spam": 0.99}
    assert decide(scores, standing=Standing(banned=True)).reasons == ["author_banned"]
    # A person decided: shadow mode does not publish a banned author.
    shadow = decide({}, {"shadow": True}, standing=Standing(suspended=True))
    assert shadow.status == CommentStatus.REJECTED
    # Trust buys a human look at what the model is near-certain about, never publication.
    trusted = decide(scores, standing=Standing(trusted=True))
    assert trusted.status == CommentStatus.HELD and trusted.reasons[-1] == "author_trusted"
    # Pre-moderating an author outweighs the trust earned by count.
    counted = decide(
        {},
        {"trusted_after": 1},
        author=Author(approved=5),
        standing=Standing(premoderated=("author_premoderated",)),
    )
    assert counted.reasons == ["author_premoderated"]


def test_reports_count_with_submissions_against_the_per_address_limit(
    app: Any, app_config: dict[str, Any], keys: Any
) -> None:
    from moderation import create_app

    limited = create_app(
        {
            **app_config,
            "RATE_LIMIT_ENABLED": True,
            "RATE_LIMIT_SUBMIT": "2 per minute",
            "RATE_LIMIT_DEFAULT": "1000 per minute",
            "RATE_LIMIT_KEY": "1000 per minute",
        }
    )
    client = limited.test_client()
    reader = {"environ_base": {"REMOTE_ADDR": "198.51.100.21"}}
    answer = client.post(
        "/v1/comments", json={"name": "R", "text": FINE}, headers=keys.headers("blog"), **reader
    )
    assert answer.status_code == 202
    first = answer.get_json()["id"]
    assert report(client, keys, first, reader_id="a", **reader).status_code == 201
    refused = report(client, keys, first, reader_id="b", **reader)
    assert_error(refused, 429)
    assert "Retry-After" in refused.headers
    # Another address reports on.
    other = {"environ_base": {"REMOTE_ADDR": "198.51.100.22"}}
    assert report(client, keys, first, reader_id="b", **other).status_code == 201


def test_purge_takes_a_comments_reports_and_notes_with_it(
    client: Any, keys: Any, runner: Any
) -> None:
    first = submit(client, keys, FINE)
    assert report(client, keys, first, reader_id="a", text="about me").status_code == 201
    note = client.post(
        f"/v1/comments/{first}/notes", json={"text": "x"}, headers=keys.headers("admin")
    )
    assert note.status_code == 201
    run_cli(runner, "purge", "--older-than", "0m")
    assert count(Report) == count(Note) == count(ModeratorAction) == 0
