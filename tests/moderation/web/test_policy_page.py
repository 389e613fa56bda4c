"""The site-policy page: admins only, previews from stored scores, saved by the audited path."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from moderation.storage import PolicyChange, Site, db, utcnow
from moderation.web.figures import at_or_above, bin_of, shares
from tests.moderation.web.conftest import Page, stored_comment


def site_policy(name: str) -> dict[str, Any]:
    with db.transaction() as session:
        return dict(session.scalar(select(Site.policy).where(Site.name == name)))


def form(**changes: str) -> dict[str, str]:
    """The policy form as the page sends it, with nothing changed but ``changes``."""
    return {"reject_spam": "0.97", "reject_severe_toxicity": "0.95", **changes}


def test_a_moderator_cannot_open_the_policy_page(moderator_page: Page) -> None:
    assert moderator_page.get("/moderate/sites/blog/policy").status_code == 403
    assert moderator_page.post_form("/moderate/sites/blog/policy", form()).status_code == 403


def test_the_preview_is_computed_from_the_last_seven_days_scores(admin_page: Page) -> None:
    for n in range(10):  # toxicity 0.1 ... 1.0
        stored_comment("blog", f"c{n}", {"toxicity": round(0.1 * (n + 1), 2)}, status="approved")
    stored_comment(
        "blog", "too old", {"toxicity": 0.99}, status="approved",
        created_at=utcnow() - timedelta(days=8),
    )  # fmt: skip
    stored_comment("shop", "other site", {"toxicity": 0.99}, status="approved")
    with db.transaction() as session:
        session.scalar(select(Site).where(Site.name == "blog")).policy = {
            "thresholds": {"toxicity": {"hold": 0.5, "reject": 0.9}}
        }
    page = admin_page.get("/moderate/sites/blog/policy").get_data(as_text=True)
    row = re.search(r'data-preview="toxicity">(.*?)</output>', page).group(1)
    # 0.5, 0.6, 0.7, 0.8 held (4 of 10); 0.9 and 1.0 rejected (2 of 10).
    assert 'class="held">40.0%' in row and 'class="rejected">20.0%' in row
    bins = json.loads(re.search(r'id="score-bins">(.*?)</script>', page).group(1))
    assert bins["total"] == 10
    assert sum(bins["labels"]["toxicity"].values()) == 10


def test_shares_count_at_or_above_each_threshold() -> None:
    bins: dict[int, int] = {}
    for score in (0.29, 0.3, 0.5, 0.5004, 0.97, 1.0):
        bins[bin_of(score)] = bins.get(bin_of(score), 0) + 1
    assert bin_of(0.29) == 290 and at_or_above(bins, 0.3) == 5 and at_or_above(bins, None) == 0
    assert shares(6, bins, 0.5, 0.97) == {"held": 2 / 6, "rejected": 2 / 6}
    assert shares(6, bins, 0.5, None) == {"held": 4 / 6, "rejected": 0.0}
    assert shares(0, bins, 0.5, 0.9) == {"held": None, "rejected": None}


def test_saving_the_form_changes_the_policy_with_an_audit_row(admin_page: Page) -> None:
    response = admin_page.post_form(
        "/moderate/sites/blog/policy",
        form(
            hold_insult="0.4",
            reject_insult="0.9",
            premoderation="on",
            shadow="on",
            trusted_after="3",
            banned_words="casino\n\n  free money  ",
            suspect_words="bananas",
        ),
    )
    assert response.status_code == 303
    policy = site_policy("blog")
    assert policy["thresholds"]["insult"] == {"hold": 0.4, "reject": 0.9}
    assert policy["thresholds"]["spam"] == {"hold": None, "reject": 0.97}
    assert (policy["premoderation"], policy["shadow"], policy["trusted_after"]) == (True, True, 3)
    assert (policy["banned_words"], policy["suspect_words"]) == (
        ["casino", "free money"],
        ["bananas"],
    )
    with db.transaction() as session:
        change = session.scalars(select(PolicyChange)).one()
        assert change.actor.startswith("web key mat_") and change.new == policy
    page = admin_page.get("/moderate/sites/blog/policy").get_data(as_text=True)
    assert 'id="shadow" name="shadow" checked' in page and "Policy saved." in page


def test_an_invalid_form_is_refused_whole_and_shown_with_its_errors(admin_page: Page) -> None:
    before = site_policy("blog")
    for changes in ({"hold_spam": "0.99"}, {"hold_insult": "lots"}, {"trusted_after": "-2"}):
        response = admin_page.post_form("/moderate/sites/blog/policy", form(**changes))
        assert response.status_code == 422, changes
        page = response.get_data(as_text=True)
        assert "The policy was not saved" in page and 'class="error" role="alert"' in page
    assert site_policy("blog") == before
    with db.transaction() as session:
        assert session.scalars(select(PolicyChange)).all() == []


def test_a_site_token_of_an_admin_cannot_reach_another_site(admin_page: Page) -> None:
    assert admin_page.get("/moderate/sites/nowhere/policy").status_code == 404
    assert admin_page.get("/moderate/sites/shop/policy").status_code == 200  # all-sites admin


def test_odd_digits_in_trusted_after_are_422_not_500(admin_page: Page) -> None:
    """Issue 17 item 8: "²" passes str.isdigit() and int() raised on it, as on 5,000 digits."""
    before = site_policy("blog")
    for value in ("²", "9" * 5000, "1e3", "-0"):
        response = admin_page.post_form("/moderate/sites/blog/policy", form(trusted_after=value))
        assert response.status_code == 422, value[:10]
        assert "The policy was not saved" in response.get_data(as_text=True)
    assert site_policy("blog") == before
