"""The moderator's page in a real Chromium against a running ``moderation up``, as a person uses it.

``moderation up`` runs in a temporary folder on a spare port (embedded Redis, SQLite, the API under
gunicorn and a worker with the shipped models); its first start prints the moderator and admin
tokens, which the tests sign in with. Debian's Chromium is driven by Playwright, launched with
``executable_path=/usr/bin/chromium`` (never ``playwright install``). Without Chromium or the
``playwright`` package the tests skip, saying which is missing.

The screenshots under docs/images/ are taken here when ``MODERATION_SCREENSHOTS=1`` (a plain
run leaves docs/images as it is), and the keyboard walk-through prints how long twenty decisions
took.
"""

from __future__ import annotations

import http.server
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.system.processes import REPO, Child, free_port, log_tail, wait_until

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("MODERATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IMAGES = REPO / "docs" / "images"
UNDO_SECONDS = 5
TOXIC = "You are a complete idiot and a moron, nobody wants your stupid opinion."
HOSTILE = '<img src=x onerror=alert(1)> and <script>alert("boo")</script>'


def chromium_or_skip() -> Any:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    return pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


class Up:
    """``moderation up`` in a folder of its own, with the tokens its first start printed."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("MODERATION_") and key != "REDIS_URL"
        }
        self.env.update(
            PYTHONUNBUFFERED="1",
            MODERATION_STATE_DIR=str(directory / "var"),
            MODERATION_RATE_LIMIT_ENABLED="false",
        )
        self.child = Child(
            [sys.executable, "-m", "moderation", "up", "--port", str(self.port)],
            directory / "up.log",
            self.env,
        )
        wait_until(lambda: "admin token:" in self.log(), "moderation up", 120, self.child)
        self.moderator = self.token("moderator token")
        self.admin = self.token("admin token")
        wait_until(self.ready, "the API of moderation up", 60, self.child)
        self.http = requests.Session()

    def log(self) -> str:
        return self.child.log.read_text(errors="replace")

    def token(self, name: str) -> str:
        found = re.search(rf"{name}:\s+(\S+)", self.log())
        assert found, log_tail(self.child.log)
        return found.group(1)

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def cli(self, *args: str) -> str:
        import subprocess

        done = subprocess.run(
            [sys.executable, "-m", "moderation", *args],
            env=self.env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method, self.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30,
            **kwargs,
        )  # fmt: skip
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    def site(self, name: str, policy: dict[str, Any]) -> tuple[str, str]:
        """A site with ``policy``; its submit key and a moderator token of its own."""
        self.call("POST", "/v1/sites", self.admin, json={"name": name, "policy": policy})
        submit = self.cli("keys", "create", "--site", name, "--role", "submit")
        moderator = self.cli("keys", "create", "--site", name, "--role", "moderate")
        return submit, moderator

    def submit(self, key: str, text: str, thread: str, email: str | None = None) -> str:
        body: dict[str, Any] = {
            "name": "Reader",
            "text": text,
            "thread": {"id": thread, "url": f"https://blog.example/{thread}", "title": thread},
        }
        if email:
            body["email"] = email
        return self.call("POST", "/v1/comments?wait=5000", key, json=body)["id"]

    def comment(self, comment_id: str) -> dict[str, Any]:
        return self.call("GET", f"/v1/comments/{comment_id}", self.admin)

    def settled(self, comment_id: str, timeout: float = 120) -> dict[str, Any]:
        """The comment once the worker has its verdict (and explanation, if it will have one)."""
        found: dict[str, Any] = {}

        def done() -> bool:
            found.update(self.comment(comment_id))
            return found["status"] != "pending"

        wait_until(done, f"the verdict of {comment_id}", timeout, self.child)
        return found

    def stop(self) -> None:
        self.child.stop(timeout=20)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    chromium_or_skip()
    service = Up(tmp_path_factory.mktemp("moderator-page"))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def sites(up: Up) -> dict[str, tuple[str, str]]:
    """alpha: pre-moderated, "bananas" suspect; beta: another site; gamma: its policy is edited."""
    return {
        "alpha": up.site("alpha", {"premoderation": True, "suspect_words": ["bananas"]}),
        "beta": up.site("beta", {"premoderation": True}),
        "gamma": up.site("gamma", {}),
    }


@pytest.fixture(scope="module")
def browser(up: Up) -> Iterator[Any]:
    sync_api = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def signed_in(browser: Any, up: Up, token: str, **context: Any) -> Any:
    """A new browser context (its own cookies) signed in through the form; its page."""
    page = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context}).new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{up.url}/moderate/")
    assert "/moderate/signin" in page.url
    page.get_by_label("Moderator or admin token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{up.url}/moderate/")
    return page


def screenshot(target: Any, name: str) -> None:
    if os.environ.get("MODERATION_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(IMAGES / name))


def open_thread(page: Any, up: Up, thread: str) -> None:
    page.goto(f"{up.url}/moderate/?thread={thread}")
    page.wait_for_selector("#queue")


def articles(page: Any) -> Any:
    return page.locator("article.comment")


def wait_for_status(up: Up, ids: list[str], status: str, timeout: float = 30) -> None:
    wait_until(
        lambda: all(up.comment(i)["status"] == status for i in ids),
        f"{len(ids)} comments {status}",
        timeout,
        up.child,
    )


def test_sign_in_and_see_a_held_comment_with_its_span(up: Up, sites: Any, browser: Any) -> None:
    key = sites["alpha"][0]
    plain = up.settled(up.submit(key, "I brought bananas to the meeting.", "spans"))
    assert plain["status"] == "held" and "suspect_word" in plain["reasons"]
    toxic_id = up.submit(key, TOXIC, "spans", email="reader@example.org")
    wait_until(
        lambda: set(up.comment(toxic_id).get("explanations") or {}) - {"suspect_word"},
        "the toxic comment's explanation",
        120,
        up.child,
    )
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "spans")
    comment = page.locator(f"#c-{plain['id']}")
    mark = comment.locator("p.text mark")
    assert mark.inner_text() == "bananas"
    assert mark.get_attribute("title") == "suspect_word 1.00"
    assert "suspect_word" in comment.locator(".reasons").inner_text()
    # The model's spans on the toxic comment: hovering one shows its label and weight.
    toxic = page.locator(f"#c-{toxic_id}")
    spans = toxic.locator("p.text mark")
    assert spans.count() >= 1
    spans.first.hover()
    assert re.fullmatch(
        r"(\w+ -?\d+\.\d\d)(, \w+ -?\d+\.\d\d)*", spans.first.get_attribute("title")
    )
    assert toxic.locator("meter").count() >= 2
    screenshot(page, "queue.png")
    screenshot(toxic, "comment-spans.png")


def test_approve_with_the_keyboard_and_watch_it_leave(up: Up, sites: Any, browser: Any) -> None:
    comment_id = up.settled(up.submit(sites["alpha"][0], "Keyboard approval please.", "keys"))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "keys")
    assert articles(page).count() == 1
    held_before = int(page.locator('[data-count="held"]').inner_text())
    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    assert articles(page).count() == 0  # gone at once, no reload
    assert int(page.locator('[data-count="held"]').inner_text()) == held_before - 1
    assert "Approved 1 comment" in page.locator("#toast").inner_text()
    wait_for_status(up, [comment_id], "approved", timeout=UNDO_SECONDS + 20)


def test_bulk_reject_three_and_undo_one(up: Up, sites: Any, browser: Any) -> None:
    key = sites["alpha"][0]
    ids = [up.settled(up.submit(key, f"Bulk comment {n}.", "bulk"))["id"] for n in range(4)]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "bulk")
    shown = [a.get_attribute("data-id") for a in articles(page).all()]
    assert sorted(shown) == sorted(ids)
    boxes = page.locator("article.comment .select")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])  # a range: the first three
    assert page.locator("#bulk-count").inner_text() == "3 selected"
    page.locator("#bulk").get_by_role("button", name="Reject").click()
    assert articles(page).count() == 1
    last = articles(page).first.get_attribute("data-id")
    page.keyboard.press("a")  # approve the fourth...
    assert articles(page).count() == 0
    page.keyboard.press("u")  # ...and undo that one
    assert articles(page).count() == 1 and articles(page).first.get_attribute("data-id") == last
    wait_for_status(up, shown[:3], "rejected", timeout=UNDO_SECONDS + 20)
    time.sleep(UNDO_SECONDS + 1)
    assert up.comment(last)["status"] == "held"  # the undone decision never reached the server
    history = up.call("GET", f"/v1/comments/{last}/history", up.admin)["decisions"]
    assert [d["actor"] for d in history] == ["policy"]


def test_change_a_threshold_and_see_the_preview(up: Up, sites: Any, browser: Any) -> None:
    key = sites["gamma"][0]
    for text in ("What a lovely day for a walk.", TOXIC, "Thanks for the recipe!"):
        up.settled(up.submit(key, text, "gamma"))
    page = signed_in(browser, up, up.admin)
    page.goto(f"{up.url}/moderate/sites/gamma/policy")
    row = page.locator('tr[data-label="toxicity"]')
    hold = row.get_by_label("toxicity hold threshold")
    hold.fill("0")
    assert row.locator(".held").inner_text() == "100.0%"
    hold.fill("1")
    assert row.locator(".held").inner_text() == "0.0%"
    hold.fill("0.5")
    shown = row.locator(".held").inner_text()
    page.get_by_role("button", name="Save the policy").click()
    page.wait_for_selector("text=Policy saved.")
    policy = up.call("GET", "/v1/sites/gamma/policy", up.admin)["policy"]
    assert policy["thresholds"]["toxicity"]["hold"] == 0.5
    # The server's own preview after the save is the one the script showed.
    assert page.locator('tr[data-label="toxicity"] .held').inner_text() == shown
    screenshot(page, "policy.png")


def test_hostile_text_stays_text(up: Up, sites: Any, browser: Any) -> None:
    comment_id = up.settled(up.submit(sites["alpha"][0], HOSTILE, "hostile"))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "hostile")
    text = page.locator(f"#c-{comment_id} p.text")
    assert text.text_content() == HOSTILE
    assert page.locator(f"#c-{comment_id} img").count() == 0
    assert page.locator(f"#c-{comment_id} script").count() == 0
    page.wait_for_timeout(1000)
    assert page.dialogs == []  # type: ignore[attr-defined]


class Attacker(http.server.BaseHTTPRequestHandler):
    """Another origin on this host: a page that posts a decision form to the service."""

    target = ""
    comment_id = ""

    def do_GET(self) -> None:
        body = (
            f'<form id="f" method="post" action="{self.target}/moderate/decisions">'
            f'<input name="ids" value="{self.comment_id}"><input name="action" value="approve">'
            '</form><script>document.getElementById("f").submit()</script>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def test_form_posts_without_the_csrf_token_are_refused(up: Up, sites: Any, browser: Any) -> None:
    comment_id = up.settled(up.submit(sites["alpha"][0], "Do not approve me.", "csrf"))["id"]
    page = signed_in(browser, up, up.moderator)
    # The signed-in browser's own cookies, without the token: refused.
    response = page.context.request.post(
        f"{up.url}/moderate/decisions", form={"ids": comment_id, "action": "approve"}
    )
    assert response.status == 400
    # A page of another origin on the same host (so the same site: the cookie goes along).
    Attacker.target, Attacker.comment_id = up.url, comment_id
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_load_state()
        page.wait_for_timeout(500)
        assert "expired or did not come from this page" in page.content()
    finally:
        server.shutdown()
    assert up.comment(comment_id)["status"] == "held"


def test_a_token_of_site_a_cannot_see_site_b(up: Up, sites: Any, browser: Any) -> None:
    alpha_id = up.settled(up.submit(sites["alpha"][0], "Alpha only.", "scope"))["id"]
    beta_id = up.settled(up.submit(sites["beta"][0], "Beta only.", "scope"))["id"]
    page = signed_in(browser, up, sites["beta"][1])
    open_thread(page, up, "scope")
    assert [a.get_attribute("data-id") for a in articles(page).all()] == [beta_id]
    assert page.goto(f"{up.url}/moderate/?site=alpha").status == 404
    assert page.goto(f"{up.url}/moderate/stats?site=alpha").status == 404
    assert page.goto(f"{up.url}/moderate/sites/alpha/policy").status == 403
    page.goto(f"{up.url}/moderate/")
    result = page.evaluate(
        """async (id) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch("/moderate/decisions", {method: "POST",
              headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
              body: JSON.stringify({ids: [id], action: "approve"})});
            return (await r.json()).results[0].result;
        }""",
        alpha_id,
    )
    assert result == "not_found"
    assert up.comment(alpha_id)["status"] == "held"


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_width_200_percent_zoom_labels_and_focus(up: Up, sites: Any, browser: Any) -> None:
    up.settled(up.submit(sites["alpha"][0], "A comment for the small screen test.", "small"))
    # 200% zoom of a 1280 px window lays out like a 640 CSS px one; a phone is 360-390 px.
    for width in (640, 375):
        page = signed_in(
            browser, up, up.admin, viewport={"width": width, "height": 800}, device_scale_factor=2
        )
        for path in ("/moderate/?thread=small", "/moderate/stats", "/moderate/sites/alpha/policy"):
            page.goto(up.url + path)
            assert no_horizontal_scroll(page), (width, path)
        if width == 375:
            page.goto(f"{up.url}/moderate/?thread=small")
            screenshot(page, "queue-phone.png")
    page.goto(f"{up.url}/moderate/?thread=small")
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                'input:not([type=hidden]), select, textarea, button'))
            .filter(el => !el.hidden && !el.closest('[hidden]') && el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !(el.textContent || '').trim())
            .map(el => el.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == []
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_twenty_held_comments_by_keyboard(up: Up, sites: Any, browser: Any, capsys: Any) -> None:
    key = sites["alpha"][0]
    texts = [f"Walk-through comment number {n}, with bananas." for n in range(20)]
    ids = [up.submit(key, text, "walk") for text in texts]
    for comment_id in ids:
        up.settled(comment_id)
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "walk")
    assert articles(page).count() == 20
    started = time.monotonic()
    for n in range(20):
        page.keyboard.press("j" if n % 5 == 4 else "a")  # now and then look at the next one
        if n % 5 == 4:
            page.keyboard.press("k")
            page.keyboard.press("r")
        page.wait_for_function(f"document.querySelectorAll('article.comment').length === {19 - n}")
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\n20 keyboard decisions in the browser: {elapsed:.2f} s"
            f" ({elapsed / 20 * 1000:.0f} ms each)"
        )
    wait_until(
        lambda: all(up.comment(i)["status"] != "held" for i in ids),
        "the twenty decisions",
        UNDO_SECONDS + 30,
        up.child,
    )
    statuses = [up.comment(i)["status"] for i in ids]
    assert statuses.count("rejected") == 4 and statuses.count("approved") == 16


def test_the_stats_page(up: Up, sites: Any, browser: Any) -> None:
    page = signed_in(browser, up, up.moderator)
    page.goto(f"{up.url}/moderate/stats?site=alpha")
    assert page.locator("svg.overturn-chart rect.chart-bar").count() >= 1
    assert page.locator("table.rates").first.is_visible()
    screenshot(page.locator("main"), "stats.png")


def test_reject_naming_what_it_is(up: Up, sites: Any, browser: Any) -> None:
    """The comment's "Is" select goes with its Reject button: the rejection's reasons, the label
    the decision teaches the models (docs/learning.md)."""
    comment_id = up.settled(up.submit(sites["alpha"][0], "Named rejection please.", "named"))["id"]
    page = signed_in(browser, up, up.moderator)
    open_thread(page, up, "named")
    comment = page.locator(f"#c-{comment_id}")
    comment.get_by_label("Is").select_option("threat")
    comment.get_by_role("button", name="Reject").click()
    assert articles(page).count() == 0
    wait_for_status(up, [comment_id], "rejected", timeout=UNDO_SECONDS + 20)
    history = up.call("GET", f"/v1/comments/{comment_id}/history", up.admin)["decisions"]
    assert [(d["action"], d["reasons"]) for d in history[1:]] == [("reject", ["threat"])]
