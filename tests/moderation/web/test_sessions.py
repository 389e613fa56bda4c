"""Sessions of the moderator's page end on the server (issue 17, item 4).

A copy of the session cookie, taken while signed in, is tried in a second browser after each way
a session ends: signing out, revoking the token, an admin's "sign out everywhere".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from moderation.keys import revoke_key
from moderation.storage import WebSession, db, utcnow
from tests.moderation.web.conftest import Page

COOKIE = "moderation_session"


def copied(page: Page, app: Any) -> Page:
    """A second browser holding a copy of ``page``'s session cookie (as a thief would)."""
    cookie = page.client.get_cookie(COOKIE, path="/moderate")
    assert cookie is not None
    other = Page(app.test_client())
    other.client.set_cookie(COOKIE, cookie.value, path="/moderate")
    return other


def signed_in(page: Page) -> bool:
    return page.get("/moderate/").status_code == 200


def test_signing_out_ends_the_session_for_copies_of_the_cookie_too(
    moderator_page: Page, app: Any
) -> None:
    thief = copied(moderator_page, app)
    assert signed_in(thief)
    assert moderator_page.post_form("/moderate/signout", {}).status_code == 303
    assert not signed_in(moderator_page)
    # Was: the copied cookie kept working for the rest of its 12 hours.
    assert not signed_in(thief)
    with db.transaction() as session:
        (stored,) = session.scalars(select(WebSession)).all()
        assert stored.ended_at is not None
        # Only a hash of the session token is stored, never the cookie's value.
        assert len(stored.id) == 64


def test_revoking_the_token_ends_its_sessions_and_not_the_others(app: Any, keys: Any) -> None:
    moderator_page, admin_page = Page(app.test_client()), Page(app.test_client())
    assert moderator_page.sign_in(keys.plain["blog_moderator"]).status_code == 303
    assert admin_page.sign_in(keys.plain["admin"]).status_code == 303
    thief = copied(moderator_page, app)
    with db.transaction() as session:
        revoke_key(session, keys.plain["blog_moderator"])
    assert not signed_in(thief) and not signed_in(moderator_page)
    assert signed_in(admin_page)
    with db.transaction() as session:
        ended = session.scalars(select(WebSession).where(WebSession.ended_at.is_not(None))).all()
        assert len(ended) == 1


def test_an_admin_signs_out_everywhere(app: Any, keys: Any) -> None:
    moderator, admin = Page(app.test_client()), Page(app.test_client())
    assert moderator.sign_in(keys.plain["blog_moderator"]).status_code == 303
    assert admin.sign_in(keys.plain["admin"]).status_code == 303
    thief = copied(moderator, app)
    page = admin.get("/moderate/").get_data(as_text=True)
    assert "Sign out everywhere" in page
    assert "Sign out everywhere" not in moderator.get("/moderate/").get_data(as_text=True)
    # A moderator may not end everyone's sessions.
    assert moderator.post_form("/moderate/sessions/end", {}).status_code == 403
    assert signed_in(admin)

    ended = admin.post_form("/moderate/sessions/end", {})
    assert ended.status_code == 303 and "/moderate/signin" in ended.headers["Location"]
    assert not signed_in(moderator) and not signed_in(thief) and not signed_in(admin)
    # The tokens themselves still work: everyone signs in again.
    assert Page(app.test_client()).sign_in(keys.plain["blog_moderator"]).status_code == 303


def test_sessions_that_lapsed_a_day_ago_are_deleted_at_the_next_sign_in(
    app: Any, keys: Any
) -> None:
    first = Page(app.test_client())
    assert first.sign_in(keys.plain["blog_moderator"]).status_code == 303
    with db.transaction() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(days=2)))
    assert not signed_in(first)  # lapsed: refused, then forgotten at the next sign-in
    assert Page(app.test_client()).sign_in(keys.plain["admin"]).status_code == 303
    with db.transaction() as session:
        assert len(session.scalars(select(WebSession)).all()) == 1
