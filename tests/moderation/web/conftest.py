"""Fixtures of the moderator's page tests: stored comments with verdicts, and a signed-in browser
session of the Flask test client (the CSRF token read from the page, as a browser would)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from moderation.decisions import record_verdict
from moderation.policy import Verdict
from moderation.storage import Comment, Score, Site, db, utcnow

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
VERSIONS = {"spam": "spam-1.2.0", "toxicity": "toxicity-1.2.0"}


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Page:
    """The test client as one browser: signs in through the form and posts with the token."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        if response.mimetype == "text/html":
            found = CSRF.search(response.get_data(as_text=True))
            if found:
                self.csrf = found.group(1)
        return response

    def sign_in(self, token: str) -> Any:
        self.get("/moderate/signin")
        return self.client.post(
            "/moderate/signin", data={"token": token, "csrf_token": self.csrf, "next": ""}
        )

    def post_json(self, path: str, body: dict[str, Any], **headers: str) -> Any:
        return self.client.post(
            path,
            json=body,
            headers={"X-CSRF-Token": self.csrf, "Accept": "application/json", **headers},
        )

    def post_form(self, path: str, data: dict[str, Any], with_csrf: bool = True) -> Any:
        return self.client.post(
            path, data={**data, **({"csrf_token": self.csrf} if with_csrf else {})}
        )


@pytest.fixture
def page(client: Any) -> Page:
    return Page(client)


@pytest.fixture
def moderator_page(page: Page, keys: Any) -> Page:
    """Signed in with the ``blog`` site's moderator token."""
    assert page.sign_in(keys.plain["blog_moderator"]).status_code == 303
    page.get("/moderate/")
    return page


@pytest.fixture
def admin_page(page: Page, keys: Any) -> Page:
    assert page.sign_in(keys.plain["admin"]).status_code == 303
    page.get("/moderate/")
    return page


def stored_comment(
    site: str,
    text: str,
    scores: dict[str, float] | None = None,
    *,
    status: str = "held",
    reasons: list[str] | None = None,
    explanations: dict[str, Any] | None = None,
    author_hash: str | None = None,
    created_at: datetime | None = None,
    thread: dict[str, str] | None = None,
) -> str:
    """A scored comment with the policy's verdict recorded by the domain (audit row included)."""
    scores = scores or {}
    with db.transaction() as session:
        site_row = session.scalar(select(Site).where(Site.name == site))
        assert site_row is not None
        comment = Comment(
            site=site_row,
            name="Reader",
            text=text,
            author_hash=author_hash,
            scores=scores,
            explanations=explanations or {},
            model_versions=VERSIONS if scores else {},
            scored_at=utcnow() if scores else None,
            created_at=created_at or utcnow(),
            thread_id=(thread or {}).get("id"),
            thread_url=(thread or {}).get("url"),
            thread_title=(thread or {}).get("title"),
        )
        session.add(comment)
        session.flush()
        session.add_all(
            Score(
                comment_id=comment.id,
                label=label,
                value=value,
                model_version=VERSIONS["spam" if label == "spam" else "toxicity"],
            )
            for label, value in scores.items()
        )
        record_verdict(session, comment.id, Verdict(status, reasons if reasons is not None else []))
        return comment.id
