"""Settings: no default secrets; production refuses to start without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from moderation.exceptions import ConfigurationError


def production_environment(**variables: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MODERATION_") and k != "REDIS_URL"
    }
    return {**env, "MODERATION_ENV": "production", **variables}


@pytest.mark.parametrize(
    ("variables", "missing"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "MODERATION_SECRET_KEY"),
        ({"MODERATION_SECRET_KEY": "s" * 40}, "REDIS_URL"),
        (
            {"MODERATION_SECRET_KEY": "short", "REDIS_URL": "redis://127.0.0.1:6379/0"},
            "MODERATION_SECRET_KEY",
        ),
    ],
)
def test_production_refuses_to_start_without_its_secrets(
    tmp_path: Path, variables: dict[str, str], missing: str
) -> None:
    env = production_environment(MODERATION_STATE_DIR=str(tmp_path), **variables)
    result = subprocess.run(
        [sys.executable, "-m", "moderation", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was generated as a stand-in secret.
    assert not (tmp_path / "secret_key").exists()


def test_no_default_secret_each_development_state_gets_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    from moderation import config

    assert config.SETTINGS["SECRET_KEY"][0] == ""
    first = config.load({"STATE_DIR": str(tmp_path / "a")})["SECRET_KEY"]
    second = config.load({"STATE_DIR": str(tmp_path / "b")})["SECRET_KEY"]
    assert first != second and len(first) >= 32
    assert config.load({"STATE_DIR": str(tmp_path / "a")})["SECRET_KEY"] == first
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError, match="MODERATION_SECRET_KEY"):
        config.load({"STATE_DIR": str(tmp_path / "c"), "ENV": "production"})
