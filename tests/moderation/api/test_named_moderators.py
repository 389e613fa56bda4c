"""Named moderators: who decided, noted or acted is shown by name (else the key's prefix)
wherever decisions, notes and actions are: histories, authors' records, notes, actions, webhooks;
and the stats count each moderator's decisions and overturns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from moderation.keys import DELETED_KEY, display_name
from moderation.storage import ApiKey, Role, Site, Webhook, WebhookEvent, db
from tests.helpers import decide
from tests.moderation.web.conftest import stored_comment

AUTHOR = "b" * 64


def name_key(keys: Any, key: str, name: str | None) -> str:
    """Name the fixture's key ``key``; its prefix."""
    prefix = keys.plain[key][:10]
    with db.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.prefix == prefix).values(name=name))
    return prefix


def test_history_decisions_and_authors_records_name_the_moderator(client: Any, keys: Any) -> None:
    name_key(keys, "blog_moderator", "Dana")
    admin_prefix = name_key(keys, "admin", None)
    held = stored_comment(
        "blog", "A held comment.", {"toxicity": 0.9}, reasons=["toxicity"], author_hash=AUTHOR
    )
    answer = decide(client, keys, held, "approve")
    assert answer["moderator"] == "Dana" and answer["key_id"]
    decide(client, keys, held, "reject", "admin")

    history = client.get(f"/v1/comments/{held}/history", headers=keys.headers("admin"))
    decisions = history.get_json()["decisions"]
    # The policy is no person: null; an unnamed key is shown by its prefix.
    assert [(d["actor"], d["moderator"]) for d in decisions] == [
        ("policy", None),
        ("moderator", "Dana"),
        ("moderator", f"key {admin_prefix}"),
    ]
    record = client.get(f"/v1/review/authors/{AUTHOR}", headers=keys.headers("admin"))
    assert [d["moderator"] for d in record.get_json()["decisions"]] == [
        f"key {admin_prefix}",
        "Dana",
    ]
    standing = client.get(f"/v1/sites/blog/authors/{AUTHOR}", headers=keys.headers("admin"))
    assert [d["moderator"] for d in standing.get_json()["decisions"]] == [
        f"key {admin_prefix}",
        "Dana",
    ]

    # A key whose row is gone (its decisions keep a NULL key) is said so, never a 500.
    with db.transaction() as session:
        session.execute(delete(ApiKey).where(ApiKey.prefix == admin_prefix))
    history = client.get(f"/v1/comments/{held}/history", headers=keys.headers("blog_moderator"))
    assert history.get_json()["decisions"][-1]["moderator"] == DELETED_KEY


def test_notes_and_actions_name_the_moderator_and_webhooks_carry_it(client: Any, keys: Any) -> None:
    name_key(keys, "blog_moderator", "Dana")
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        assert site is not None
        session.add(
            Webhook(
                site_id=site.id,
                url="https://hooks.example/x",
                salt="s" * 64,
                events=["comment.decided", "author.updated", "note.added"],
            )
        )
    held = stored_comment("blog", "Another held comment.", {"toxicity": 0.9}, reasons=["toxicity"])
    mod = keys.headers("blog_moderator")
    note = client.post(f"/v1/comments/{held}/notes", json={"text": "Checked."}, headers=mod)
    assert note.status_code == 201 and note.get_json()["moderator"] == "Dana"
    shown = client.get(f"/v1/comments/{held}", headers=mod).get_json()
    assert [n["moderator"] for n in shown["notes"]] == ["Dana"]

    acted = client.post(
        "/v1/sites/blog/authors/user-81/actions", json={"action": "ban"}, headers=mod
    )
    assert acted.status_code == 201 and acted.get_json()["moderator"] == "Dana"
    client.post("/v1/sites/blog/authors/user-81/notes", json={"text": "Third time."}, headers=mod)
    standing = client.get("/v1/sites/blog/authors/user-81", headers=mod).get_json()
    assert [n["moderator"] for n in standing["notes"]] == ["Dana"]
    assert {a["moderator"] for a in standing["actions"]} == {"Dana"}
    thread = client.post(
        "/v1/sites/blog/threads/actions", json={"thread": "t-1", "action": "close"}, headers=mod
    )
    assert thread.get_json()["actions"][0]["moderator"] == "Dana"

    decide(client, keys, held, "approve")
    db.remove()
    payloads = {e.type: e.payload for e in db.session().scalars(select(WebhookEvent))}
    assert payloads["comment.decided"]["data"]["decision"]["moderator"] == "Dana"
    assert payloads["author.updated"]["data"]["action"]["moderator"] == "Dana"
    assert payloads["note.added"]["data"]["action"]["moderator"] == "Dana"


def test_the_policys_webhook_events_name_no_moderator(client: Any, keys: Any) -> None:
    with db.transaction() as session:
        site = session.scalar(select(Site).where(Site.name == "blog"))
        assert site is not None
        session.add(
            Webhook(
                site_id=site.id,
                url="https://hooks.example/x",
                salt="s" * 64,
                events=["comment.scored"],
            )
        )
    stored_comment("blog", "Scored.", {"toxicity": 0.1}, status="approved")
    db.remove()
    event = db.session().scalar(select(WebhookEvent))
    assert event is not None and event.payload["data"]["decision"]["moderator"] is None


def test_display_name_is_the_name_else_the_prefix() -> None:
    assert display_name(ApiKey(role=Role.MODERATE, prefix="mmt_AbCd12", name="Dana")) == "Dana"
    assert display_name(ApiKey(role=Role.MODERATE, prefix="mmt_AbCd12")) == "key mmt_AbCd12"
    assert display_name(None) == DELETED_KEY


def moderator_figures(client: Any, keys: Any, **query: Any) -> dict[str, Any]:
    response = client.get("/v1/stats", query_string=query, headers=keys.headers("admin"))
    assert response.status_code == 200, response.get_json()
    return {row["moderator"]: row for row in response.get_json()["moderators"]}


def test_stats_per_moderator(client: Any, keys: Any) -> None:
    name_key(keys, "blog_moderator", "Dana")
    name_key(keys, "admin", "Sam")
    held = [
        stored_comment("blog", f"held {n}", {"toxicity": 0.9}, reasons=["toxicity"])
        for n in range(4)
    ]
    approved = stored_comment("blog", "fine", {"toxicity": 0.1}, status="approved")
    decide(client, keys, held[0], "approve")  # Dana overturns a hold...
    decide(client, keys, held[0], "reject", "admin")  # ...Sam overturns Dana (and confirms it)
    decide(client, keys, held[1], "reject")  # Dana confirms; Sam's spam keeps it rejected:
    decide(client, keys, held[1], "spam", "admin")  # no overturn of Dana
    decide(client, keys, held[2], "approve")  # Dana overturns; she changes her own mind:
    decide(client, keys, held[2], "reject")  # not overturned by another
    decide(client, keys, approved, "spam")  # Dana overturns an approval
    decide(client, keys, held[3], "not_spam", "admin")  # Sam overturns a hold

    figures = moderator_figures(client, keys)
    assert list(figures) == ["Dana", "Sam"]  # most decisions first
    dana, sam = figures["Dana"], figures["Sam"]
    assert dana["decisions"] == 5
    assert dana["by_action"] == {"approve": 2, "reject": 2, "spam": 1, "not_spam": 0}
    assert dana["overturned_by_others"] == 1
    # The verdicts whose standing decision is hers: held[2] (rejected: confirmed), approved.
    assert dana["automatic"] == {"reviewed": 2, "overturned": 1, "overturn_rate": 0.5}
    assert sam["by_action"] == {"approve": 0, "reject": 1, "spam": 1, "not_spam": 1}
    assert sam["overturned_by_others"] == 0
    assert sam["automatic"] == {"reviewed": 3, "overturned": 1, "overturn_rate": 0.3333}
    # Together they add up to the overturns of every automatic verdict.
    stats = client.get("/v1/stats", headers=keys.headers("admin")).get_json()["automatic"]
    reviewed = sum(v["reviewed"] for v in stats["by_verdict"].values())
    assert reviewed == dana["automatic"]["reviewed"] + sam["automatic"]["reviewed"]

    # A moderator of another site sees none of it; a period before the comments, nothing.
    shop = client.get("/v1/stats", headers=keys.headers("shop_moderator")).get_json()
    assert shop["moderators"] == []
    assert moderator_figures(client, keys, until="2020-01-01T00:00:00Z") == {}
