"""The real clients over real sockets against the running service (API under gunicorn + worker).

- the ``akismet`` package from PyPI, its base URL (``akismet._common._API_URL``, read on every
  call) pointed at the service;
- the npm ``akismet-api`` 6.x client that Coral Talk uses, run with this machine's Node.js
  (installed once from the npm registry into a cache folder under /tmp); skipped, with the
  reason, where Node.js or npm is missing or the registry cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import akismet
import httpx
import pytest

from tests.system.processes import Api, RedisServer, Service

HAM = "Thanks for the clear write-up, the second chart made it click for me."
SPAM = "Make $5000 a week working from home! Visit www.easy-money-now.example to start today!!!"
BLOG = "https://blog.example"
READER = {"user_ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "comment_type": "comment"}
NPM_CACHE = Path("/tmp/moderation-test-akismet-api-6")
SCRIPT = Path(__file__).parent / "compat_js" / "akismet_api_check.js"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str, str]]:
    """The API and a worker on SQLite; site ``blog``'s Akismet key and submit key."""
    directory = tmp_path_factory.mktemp("compat-clients")
    with ExitStack() as stack:
        redis = stack.enter_context(RedisServer(directory / "redis"))
        service = stack.enter_context(
            Service(directory, f"sqlite:///{directory / 'moderation.db'}", redis.url)
        )
        service.cli("db", "upgrade")
        service.cli("sites", "create", "blog", "--origin", BLOG)
        akismet_key = service.cli("keys", "create", "--site", "blog", "--role", "akismet").strip()
        submit_key = service.cli("keys", "create", "--site", "blog", "--role", "submit").strip()
        assert len(akismet_key) == 12
        api = service.api(wait=False)
        service.worker()
        api.wait()
        yield api, akismet_key, submit_key


@pytest.fixture
def python_client(running: tuple[Api, str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    api, key, _ = running
    monkeypatch.setattr(akismet._common, "_API_URL", api.url)
    http = httpx.Client(headers={"User-Agent": akismet.USER_AGENT}, timeout=10)
    with akismet.SyncClient(config=akismet.Config(key=key, url=BLOG), http_client=http) as client:
        yield client


@pytest.mark.slow
def test_python_akismet_client(python_client: Any) -> None:
    assert python_client.verify_key() is True
    assert python_client.comment_check(comment_content=HAM, **READER) is akismet.CheckResponse.HAM
    assert python_client.comment_check(comment_content=SPAM, **READER) is (
        akismet.CheckResponse.DISCARD
    )
    assert python_client.comment_check(comment_author="viagra-test-123", **READER) is (
        akismet.CheckResponse.SPAM
    )
    assert python_client.comment_check(
        user_role="administrator", comment_content=SPAM, **READER
    ) is (akismet.CheckResponse.HAM)
    assert python_client.submit_spam(comment_content=HAM, **READER) is True
    assert python_client.submit_ham(comment_content=SPAM, **READER) is True
    assert python_client.usage_limit()["limit"] == "none"


@pytest.mark.slow
def test_perspective_as_coral_calls_it(running: tuple[Api, str, str]) -> None:
    api, _, submit_key = running
    body = {
        "comment": {"text": "You are a stupid worthless idiot, shut up."},
        "doNotStore": True,
        "requestedAttributes": {"TOXICITY": {}},
        "languages": ["en"],
    }
    # Coral gives up after 800 ms (PERSPECTIVE_TIMEOUT) and then fails open.
    answer = api.http.post(
        f"{api.url}/v1alpha1/comments:analyze?key={submit_key}", json=body, timeout=0.8
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.5


def akismet_api_installed() -> Path:
    """The npm package in the cache folder, installed from the registry on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are not installed; the akismet-api (npm) client needs them")
    package = NPM_CACHE / "node_modules" / "akismet-api" / "package.json"
    if not package.exists():
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_CACHE)]
        done = subprocess.run(
            [*command, "akismet-api@6"], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install akismet-api@6: {done.stderr[-500:]}")
    assert json.loads(package.read_text())["version"].startswith("6.")
    return NPM_CACHE / "node_modules"


@pytest.mark.slow
def test_npm_akismet_api_client(running: tuple[Api, str, str]) -> None:
    modules = akismet_api_installed()
    api, key, _ = running
    host = "localhost:" + api.url.rsplit(":", 1)[1]
    env = {**os.environ, "NODE_PATH": str(modules), "HAM": HAM, "SPAM": SPAM}
    done = subprocess.run(
        ["node", str(SCRIPT), host, key, BLOG], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results == {
        "valid": True,
        "invalid": False,
        "ham": False,
        "spam": True,
        "trigger": True,
        "admin": False,
        "submitted": "Thanks for making the web a better place.",
        "badKey": "Invalid API key",
    }
