"""The ``moderation`` command: sites, keys, score, on the real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from moderation.cli import main
from moderation.keys import hash_key
from moderation.storage import ApiKey, Site, db


def test_sites_create_and_keys_create_print_only_the_key(runner: Any, client: Any) -> None:
    created = runner.invoke(args=["sites", "create", "news", "--origin", "https://news.example"])
    assert created.exit_code == 0, created.output
    site = db.session().scalar(select(Site).where(Site.name == "news"))
    assert site.origins == ["https://news.example"]

    result = runner.invoke(args=["keys", "create", "--site", "news", "--role", "submit"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("msk_") and "\n" not in key
    stored = db.session().scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    assert stored.site_id == site.id and stored.role == "submit"

    answer = client.post(
        "/v1/comments",
        json={"name": "Ada", "text": "Hello"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 202


def test_cli_refuses_bad_input_and_changes_nothing(runner: Any) -> None:
    assert runner.invoke(args=["sites", "create", "news"]).exit_code == 0
    again = runner.invoke(args=["sites", "create", "news"])
    assert again.exit_code != 0 and "exists already" in again.output
    no_site = runner.invoke(args=["keys", "create", "--site", "nowhere", "--role", "submit"])
    assert no_site.exit_code != 0 and "no site named" in no_site.output
    unbound = runner.invoke(args=["keys", "create", "--role", "submit"])
    assert unbound.exit_code != 0 and "needs --site" in unbound.output
    assert db.session().scalar(select(ApiKey).limit(1)) is None
    assert len(db.session().scalars(select(Site)).all()) == 1


def test_score_writes_one_line_per_input_line_in_order(scorer: Any) -> None:
    lines = [
        {"text": "Thank you for the thoughtful article, I learned a lot."},
        "not json",
        {"text": "You are a pathetic idiot and everyone hates you", "name": "x"},
        {"name": "no text"},
        {
            "text": "WIN $5000 NOW!!! Call +1 555 0100 or visit http://cheap-pills.example",
            "url": None,
        },
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    result = CliRunner().invoke(main, ["score", "-"], input=stdin)
    assert result.exit_code == 1  # two bad lines
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    clean, not_json, toxic, no_text, spam = out
    assert "error" in not_json and "error" in no_text
    for scored in (clean, toxic, spam):
        assert set(scored) >= {"spam", "toxicity", "labels", "verdict"}
        assert all(0.0 <= p <= 1.0 for p in scored["labels"].values())
    assert clean["verdict"] == "approved"
    assert toxic["toxicity"] > clean["toxicity"] and toxic["verdict"] in {"held", "rejected"}
    assert spam["spam"] > clean["spam"] and spam["verdict"] in {"held", "rejected"}


def test_help_lists_the_services_commands_not_the_extensions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The group builds an app from the environment to list the app's commands: a throwaway one.
    monkeypatch.setenv("MODERATION_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("MODERATION_DATABASE_URL", f"sqlite:///{tmp_path / 'help.db'}")
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0, listed.output
    commands = {
        line.split()[0] for line in listed.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert {"up", "serve", "worker", "db", "sites", "keys", "sweep", "purge", "score"} <= commands
    assert {"limiter", "openapi"}.isdisjoint(commands)
    # Not listed, still there for whoever knows them.
    assert CliRunner().invoke(main, ["openapi", "--help"]).exit_code == 0


def test_migrations_log_what_they_run_without_alembics_plugin_noise(tmp_path: Path) -> None:
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from moderation.migrations import upgrade\n"
        "upgrade(sys.argv[1])\n"
    )
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Running upgrade" in done.stderr
    assert "alembic.runtime.plugins" not in done.stderr and "setup plugin" not in done.stderr
