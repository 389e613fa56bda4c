"""The CLI finds its state folder and never makes one by accident (issue 17, item 7).

Real ``moderation`` processes in a scratch working folder: outside a state folder a database
command fails with one line and creates nothing; ``--state DIR`` and ``MODERATION_HOME`` name the
folder; only ``db upgrade`` (and ``up``) create a state, private to its user.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.processes import REPO

pytestmark = pytest.mark.slow


def moderation(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``moderation ARGS`` run in ``cwd`` with a user's environment (no test database)."""
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MODERATION_") and name != "REDIS_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        cwd=cwd, env={**base, "PYTHONPATH": str(REPO), **env},
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_outside_a_state_folder_commands_fail_clearly_and_create_nothing(tmp_path: Path) -> None:
    for args in (("coral", "secrets", "list", "--site", "default"), ("sites", "list"), ("sweep",)):
        done = moderation(tmp_path, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: no moderation state here"), done.stderr
        assert "--state DIR or MODERATION_HOME" in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
        assert list(tmp_path.iterdir()) == [], args
    # Help needs no state either, and makes none.
    assert moderation(tmp_path, "--help").returncode == 0
    assert moderation(tmp_path, "sites", "--help").returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_state_is_found_by_option_or_variable_and_only_db_upgrade_creates_it(
    tmp_path: Path,
) -> None:
    state = tmp_path / "somewhere" / "state"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    # A named folder that does not exist is refused too, not created.
    missing = moderation(elsewhere, "--state", str(state), "keys", "list")
    assert missing.returncode == 2 and "no moderation state" in missing.stderr
    assert not state.exists()

    made = moderation(elsewhere, "--state", str(state), "db", "upgrade")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "moderation.db").stat().st_mode) == 0o600

    created = moderation(elsewhere, "--state", str(state), "sites", "create", "blog")
    assert created.returncode == 0, created.stderr
    listed = moderation(elsewhere, "sites", "list", MODERATION_HOME=str(state))
    assert listed.returncode == 0 and "blog" in listed.stdout, listed.stderr
    # --state wins over the variables.
    both = moderation(elsewhere, "--state", str(state), "sites", "list",
                      MODERATION_STATE_DIR=str(tmp_path / "nothing"))  # fmt: skip
    assert both.returncode == 0 and "blog" in both.stdout, both.stderr
    assert list(elsewhere.iterdir()) == []
