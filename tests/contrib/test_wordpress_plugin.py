"""The WordPress plugin in contrib/wordpress (issue 16, item 14): its zip, ``php -l``, and its
checker run under php-cli against the real service (the app served over HTTP, a real worker).

The PHP tests are skipped where php-cli is not installed (``apt-get install php-cli``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.moderation.compat.conftest import akismet_key, live_worker  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "contrib" / "wordpress" / "moderation"
PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php-cli is not installed")

HAM = "Thanks for the clear write-up, the second chart made it click for me."
SPAM = "Make $5000 a week working from home! Visit www.easy-money-now.example to start today!!!"
TOXIC = "You are a stupid worthless idiot, shut up."


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer wait for verdicts: a cold worker on a busy test machine takes seconds."""
    return {**app_config, "WAIT_MAX_MS": 30_000}


def test_the_zip_is_an_installable_plugin(tmp_path: Path) -> None:
    target = tmp_path / "plugin.zip"
    subprocess.run([str(ROOT / "contrib/wordpress/build.sh"), str(target)], check=True)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        main = archive.read("comment-moderation/moderation.php").decode()
    assert all(name.startswith("comment-moderation/") for name in names)
    assert "comment-moderation/includes/class-checker.php" in names
    assert "Plugin Name:" in main and "mu-plugins" not in main


@needs_php
def test_every_php_file_parses() -> None:
    for path in PLUGIN.rglob("*.php"):
        result = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def service(app: Any) -> Iterator[str]:
    """The app served over HTTP on a free local port, stopped after the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@needs_php
def test_the_checker_files_comments_as_wordpress_should(
    service: str,
    akismet_key: str,  # noqa: F811
    live_worker: None,  # noqa: F811
) -> None:
    comments = [
        {"comment_post_ID": 1, "comment_author": "Ada", "comment_content": text,
         "comment_author_IP": "203.0.113.7", "comment_agent": "Mozilla/5.0"}
        for text in (HAM, SPAM, TOXIC)
    ]  # fmt: skip
    result = subprocess.run(
        [PHP, str(Path(__file__).with_name("check_comments.php")), str(PLUGIN)],
        input=json.dumps(comments),
        capture_output=True,
        text=True,
        timeout=120,
        env={"SERVICE_URL": service, "SERVICE_KEY": akismet_key, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["verify"] == "valid"
    # Ham as WordPress would (1), spam to Spam, a comment held for toxicity to Pending (0).
    assert answer["filed"] == [1, "spam", 0]
