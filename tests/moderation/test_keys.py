"""Keys and tokens: random, shown once, stored only as hashes, revoked by an unambiguous prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from moderation.storage import ApiKey, db
from tests.helpers import database_dump, post_comment, run_cli


def test_revoke_refuses_short_or_ambiguous_prefixes(runner: Any, keys: Any) -> None:
    short = runner.invoke(args=["keys", "revoke", "msk_"])
    assert short.exit_code != 0 and "at least" in short.output
    with db.transaction() as session:
        for prefix in ("msk_AAAAAA", "msk_AAAAAB"):
            session.add(ApiKey(role="submit", site_id=None, key_hash=prefix * 6, prefix=prefix))
    ambiguous = runner.invoke(args=["keys", "revoke", "msk_AAAAA"])
    assert ambiguous.exit_code != 0 and "2 keys start with" in ambiguous.output
    db.remove()
    assert db.session().scalar(select(func.count()).where(ApiKey.revoked_at.is_not(None))) == 0
    assert run_cli(runner, "keys", "revoke", "msk_AAAAAB").exit_code == 0


def test_keys_are_random_shown_once_and_stored_only_as_hashes(
    client: Any, runner: Any, keys: Any, database_url: str
) -> None:
    created = [
        run_cli(runner, "keys", "create", "--site", "blog", "--role", role)
        for role in ("submit", "submit", "moderate")
    ]
    plaintexts = [result.stdout.strip() for result in created]
    # stdout holds the key alone (scripts capture it); it is new each time and long.
    assert all(result.stdout == key + "\n" for result, key in zip(created, plaintexts, strict=True))
    assert len(set(plaintexts)) == 3 and all(len(key) >= 40 for key in plaintexts)
    assert post_comment(client, {"Authorization": f"Bearer {plaintexts[0]}"}).status_code == 202

    everything = [*plaintexts, *keys.plain.values()]
    dump = database_dump()
    raw = b""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    for key in everything:
        # Only the 10-character prefix is kept in clear: no 12 characters of a key appear.
        windows = {key[i : i + 12] for i in range(len(key) - 11)}
        assert not any(window in dump for window in windows), key[:10]
        assert not any(window.encode() in raw for window in windows), key[:10]
    # Nor are the keys anywhere in the API's answers about keys.
    listing = run_cli(runner, "keys", "list").stdout
    assert not any(key in listing for key in everything)


def test_admin_keys_cannot_be_bound_to_a_site(runner: Any, keys: Any) -> None:
    refused = runner.invoke(args=["keys", "create", "--site", "blog", "--role", "admin"])
    assert refused.exit_code != 0 and "covers every site" in refused.output
    db.remove()
    bound = select(func.count()).where(ApiKey.role == "admin", ApiKey.site_id.is_not(None))
    assert db.session().scalar(bound) == 0


def test_an_old_site_bound_admin_key_is_only_its_sites_moderator(client: Any, keys: Any) -> None:
    from moderation.keys import hash_key
    from moderation.storage import Site

    plaintext = "mat_" + "x" * 40
    with db.transaction() as session:
        blog = session.scalar(select(Site).where(Site.name == "blog"))
        session.add(
            ApiKey(role="admin", site=blog, key_hash=hash_key(plaintext), prefix="mat_xxxx")
        )
    headers = {"Authorization": f"Bearer {plaintext}"}
    created = client.post("/v1/sites", json={"name": "probe"}, headers=headers)
    assert created.status_code == 403, created.get_json()
    existing = client.post("/v1/sites", json={"name": "shop"}, headers=headers)
    assert existing.status_code == 403, existing.get_json()
    assert client.get("/v1/sites/shop/policy", headers=headers).status_code in (403, 404)
    assert client.get("/v1/sites/blog/policy", headers=headers).status_code == 200


def test_a_moderators_key_has_a_name_shown_by_keys_list(runner: Any, keys: Any) -> None:
    created = run_cli(
        runner, "keys", "create", "--site", "blog", "--role", "moderate", "--name", "  Dana K. "
    )
    prefix = created.stdout.strip()[:10]
    db.remove()
    key = db.session().scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    assert key is not None and key.name == "Dana K."  # trimmed
    listing = run_cli(runner, "keys", "list").stdout.splitlines()
    line = next(line for line in listing if line.startswith(prefix)).split("\t")
    # The name is the last column; the five before it are as they were; unnamed keys show "-".
    assert line[1:3] == ["moderate", "blog"] and line[5] == "Dana K."
    assert all(row.split("\t")[5] == "-" for row in listing if not row.startswith(prefix))

    renamed = run_cli(runner, "keys", "name", prefix, "Dana")
    assert "is Dana" in renamed.output
    assert run_cli(runner, "keys", "name", prefix).exit_code == 0  # no NAME: unnamed
    db.remove()
    assert db.session().scalar(select(ApiKey.name).where(ApiKey.prefix == prefix)) is None


def test_a_bad_name_is_refused_clearly_and_creates_nothing(runner: Any, keys: Any) -> None:
    db.remove()
    before = db.session().scalar(select(func.count()).select_from(ApiKey))
    for name in ("   ", "x" * 101, "Dana\nmat_fake\tadmin", "Dana\x1b[31m", "Dana\u200b"):
        refused = runner.invoke(
            args=["keys", "create", "--site", "blog", "--role", "moderate", "--name", name]
        )
        assert refused.exit_code == 2, (name, refused.output)
        assert "--name" in refused.output and ("characters" in refused.output)
        assert refused.stdout.count("mmt_") == 0
    renamed = runner.invoke(args=["keys", "name", keys.plain["blog_moderator"][:10], "a\tb"])
    assert renamed.exit_code == 2 and "printable" in renamed.output
    unknown = runner.invoke(args=["keys", "name", "mmt_nothere", "Dana"])
    assert unknown.exit_code == 1 and "no live key" in unknown.output
    db.remove()
    assert db.session().scalar(select(func.count()).select_from(ApiKey)) == before
    assert db.session().scalar(select(func.count()).where(ApiKey.name.is_not(None))) == 0
