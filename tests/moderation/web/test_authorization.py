"""One authorization rule for the moderator's page and the API (issue 17, item 5).

Every action of the page (every rule of the blueprint, so an action added later without an entry
here fails the test) is tried with every kind of token that can sign in: a site's moderator, a
moderator of all sites, a legacy site-bound admin key (made by an older release; the API treats
it as its site's moderator), and the admin. The page must allow exactly what
``http.auth.permits`` allows, and where the action has an API twin, the API with the same token
must agree. (A decision already taken answers 200/303 with the comment's conflict listed, so
the roles after the first meet the same answer codes.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from moderation.http.auth import permits, principal_of
from moderation.keys import find_key, hash_key
from moderation.storage import ApiKey, Role, Site, db
from tests.moderation.web.conftest import Page, stored_comment

LEGACY_ADMIN = "mat_legacy" + "x" * 36
AUTHOR = "a" * 64
THREAD = "t-roles"


@dataclass
class Action:
    """A page action: what it needs (the API's roles), its request, and its API twin if any."""

    method: str
    path: str
    needs: Role
    form: dict[str, str] = field(default_factory=dict)
    api: tuple[str, str, dict[str, Any] | None] | None = None


def actions(comment_id: str) -> dict[str, Action]:
    """Every endpoint of the page (sign-in and sign-out are open to all) and what it needs."""
    policy_form = {"reject_spam": "0.97", "reject_severe_toxicity": "0.95"}
    policy_body = {"thresholds": {"spam": {"reject": 0.97}}}
    return {
        "moderate.queue": Action("GET", "/moderate/", Role.MODERATE,
                                 api=("GET", "/v1/review/queue", None)),
        "moderate.stats_page": Action("GET", "/moderate/stats", Role.MODERATE,
                                      api=("GET", "/v1/stats", None)),
        "moderate.decisions": Action(
            "POST", "/moderate/decisions", Role.MODERATE,
            form={"ids": comment_id, "action": "approve", "expected_status": "held"},
            api=("POST", "/v1/review/decisions",
                 {"ids": [comment_id], "action": "approve", "expected_status": "held"}),
        ),
        "moderate.add_note": Action(
            "POST", f"/moderate/comments/{comment_id}/notes", Role.MODERATE,
            form={"text": "Checked."},
            api=("POST", f"/v1/comments/{comment_id}/notes", {"text": "Checked."}),
        ),
        "moderate.author_action": Action(
            "POST", f"/moderate/comments/{comment_id}/author", Role.MODERATE,
            form={"action": "ban"},
            api=("POST", f"/v1/sites/blog/authors/{AUTHOR}/actions", {"action": "ban"}),
        ),
        "moderate.thread_action": Action(
            "POST", f"/moderate/comments/{comment_id}/thread", Role.MODERATE,
            form={"action": "close"},
            api=("POST", "/v1/sites/blog/threads/actions", {"thread": THREAD, "action": "close"}),
        ),
        "moderate.policy_page": Action("GET", "/moderate/sites/blog/policy", Role.ADMIN),
        "moderate.save_policy": Action(
            "POST", "/moderate/sites/blog/policy", Role.ADMIN, form=policy_form,
            api=("PUT", "/v1/sites/blog/policy", policy_body),
        ),
        "moderate.sites_page": Action("GET", "/moderate/sites", Role.ADMIN),
        "moderate.end_all_sessions": Action("POST", "/moderate/sessions/end", Role.ADMIN),
    }  # fmt: skip


OPEN = {"moderate.sign_in_page", "moderate.sign_in_form", "moderate.sign_out_form"}


def tokens(keys: Any) -> dict[str, str]:
    keys.make("all_moderator", Role.MODERATE, None)
    with db.transaction() as session:
        blog = session.scalar(select(Site).where(Site.name == "blog"))
        # keys.create_key refuses this now; an older release made such keys.
        session.add(ApiKey(role="admin", site=blog, key_hash=hash_key(LEGACY_ADMIN),
                           prefix=LEGACY_ADMIN[:10]))  # fmt: skip
    return {
        "site moderator": keys.plain["blog_moderator"],
        "all-site moderator": keys.plain["all_moderator"],
        "legacy site-bound admin": LEGACY_ADMIN,
        "admin": keys.plain["admin"],
    }


def allowed(token: str, needs: Role) -> bool:
    with db.transaction() as session:
        key = find_key(session, token)
        assert key is not None
        return permits(principal_of(key), [needs])


def test_every_page_action_with_every_role_follows_the_apis_rule(app: Any, keys: Any) -> None:
    comment_id = stored_comment(
        "blog",
        "held for a look",
        {"toxicity": 0.6},
        reasons=["toxicity"],
        author_hash=AUTHOR,
        thread={"id": THREAD},
    )
    walk = actions(comment_id)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    page_endpoints = {e for e in endpoints if e.startswith("moderate.") and e != "moderate.static"}
    assert page_endpoints - OPEN == set(walk), "a page action without its rule in this test"

    outcomes = []
    for who, token in tokens(keys).items():
        for name, action in walk.items():
            page = Page(app.test_client())
            assert page.sign_in(token).status_code == 303, who
            page.get("/moderate/")
            if action.method == "GET":
                answer = page.get(action.path)
            else:
                answer = page.post_form(action.path, action.form)
            expected = allowed(token, action.needs)
            outcomes.append((who, name, answer.status_code, expected))
            if expected:
                assert answer.status_code in (200, 303), (who, name, answer.status_code)
            else:
                assert answer.status_code == 403, (who, name, answer.status_code)
            if action.api is not None:
                method, path, body = action.api
                api = app.test_client().open(
                    path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
                )
                # The same token, the same action: the API agrees with the page.
                assert (api.status_code < 400) == expected, (who, name, api.status_code)

    # The finding: a legacy site-bound admin key changed its site's policy through the page.
    assert ("legacy site-bound admin", "moderate.save_policy", 403, False) in outcomes
    assert ("admin", "moderate.save_policy", 303, True) in outcomes


@pytest.mark.parametrize("path", ["/moderate/", "/moderate/sites/blog/policy", "/moderate/stats"])
def test_signed_out_every_page_asks_for_a_sign_in(app: Any, path: str) -> None:
    answer = Page(app.test_client()).get(path)
    assert answer.status_code == 302 and "/moderate/signin" in answer.headers["Location"]
