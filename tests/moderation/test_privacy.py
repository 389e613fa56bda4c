"""Personal data: client addresses stored only as keyed hashes, old comments purged with theirs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from moderation import create_app
from moderation.privacy import keyed_hash
from moderation.storage import Comment, Score, WebhookEvent, db, utcnow
from tests.helpers import (
    COMMENT,
    assert_error,
    database_dump,
    from_ip,
    post_comment,
    run_cli,
    stored_ip_hash,
)


def test_client_ip_is_stored_only_as_a_keyed_hash(
    client: Any, keys: Any, app_config: dict[str, Any]
) -> None:
    response = post_comment(client, keys.headers("blog"), **from_ip("203.0.113.50"))
    stored = stored_ip_hash(response.get_json()["id"])
    assert "203.0.113.50" not in database_dump()
    # Keyed: the same address under another secret hashes differently (no rainbow table).
    other = create_app({**app_config, "SECRET_KEY": "another-secret-" + "y" * 32})
    assert keyed_hash("203.0.113.50", other.config["SECRET_KEY"]) != stored
    assert "203.0.113.50" not in json.dumps(response.get_json())


def submit_json(client: Any, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = client.post("/v1/comments", json=body, headers=headers)
    assert response.status_code == 202
    return response.get_json()["id"]


def test_purge_deletes_old_comments_with_their_personal_data(
    client: Any, runner: Any, keys: Any
) -> None:
    # A webhook, so the decision below also leaves an event (with the comment in its payload).
    hook = {"url": "https://hooks.example/in"}
    made = client.post("/v1/sites/blog/webhooks", json=hook, headers=keys.headers("admin"))
    assert made.status_code == 201
    old_text = "Remember me? My number is 555-0199, write to me."
    old = submit_json(client, keys.headers("blog"), {"name": "Grace H", "text": old_text,
                      "email": "grace@example.org", "url": "https://grace.example/"})  # fmt: skip
    recent = submit_json(client, keys.headers("blog"), COMMENT)
    decided = client.post(
        f"/v1/comments/{old}/decision", json={"action": "spam"}, headers=keys.headers("admin")
    )
    assert decided.status_code == 201
    with db.transaction() as session:
        session.add(Score(comment_id=old, label="spam", value=0.9, model_version="t"))
        session.execute(
            update(Comment)
            .where(Comment.id == old)
            .values(created_at=utcnow() - timedelta(days=91))
        )
    before = database_dump()
    assert old in before and old_text in before
    assert db.session().scalar(select(func.count()).select_from(WebhookEvent)) >= 1
    result = run_cli(runner, "purge", "--older-than", "90d")
    assert "purged 1 comments" in result.output
    # Nothing of the old comment is left in any table: not its id, words, name, e-mail or URL.
    after = database_dump()
    for trace in (old, old_text, "Grace H", "grace@example.org", "grace.example"):
        assert trace not in after, trace
    assert recent in after
    assert_error(client.get(f"/v1/comments/{old}", headers=keys.headers("admin")), 404)


def test_purge_leaves_no_text_in_the_sqlite_files(
    client: Any, runner: Any, keys: Any, database_url: str
) -> None:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite's files; PostgreSQL's are the server's")
    path = Path(database_url.removeprefix("sqlite:///"))
    marker = "Forget-me-please 8d1f0c72 private words"
    old = submit_json(client, keys.headers("blog"), {"name": "Zed", "text": marker})
    with db.transaction() as session:
        session.execute(
            update(Comment)
            .where(Comment.id == old)
            .values(created_at=utcnow() - timedelta(days=91))
        )
    files = [path, path.with_name(path.name + "-wal")]
    assert any(marker.encode() in file.read_bytes() for file in files if file.exists())
    run_cli(runner, "purge", "--older-than", "90d")
    for file in files:
        if file.exists():
            assert marker.encode() not in file.read_bytes(), file
            assert old.encode() not in file.read_bytes(), file
