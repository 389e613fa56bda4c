"""Sign in with a moderator or admin token, sign out, and an admin's "sign out everywhere"."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from moderation.keys import end_sessions
from moderation.storage import db
from moderation.web.access import admin_only, current_key, safe_next, sign_in, sign_out
from moderation.web.blueprint import bp


@bp.get("/signin")
def sign_in_page() -> Any:
    if current_key() is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("signin.html", next=request.args.get("next", ""), failed=False)


@bp.post("/signin")
def sign_in_form() -> Any:
    if sign_in(request.form.get("token", "")) is None:
        # Same answer for unknown, revoked and submit-only keys: nothing to learn from it.
        page = render_template("signin.html", next=request.form.get("next", ""), failed=True)
        return page, 401
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.post("/signout")
def sign_out_form() -> Any:
    sign_out()
    return redirect(url_for("moderate.sign_in_page"), code=303)


@bp.post("/sessions/end")
@admin_only
def end_all_sessions() -> Any:
    """Sign out everywhere: every session of every token ends, this one too (a stolen cookie,
    a shared computer); tokens stay valid, so everyone signs in again."""
    store = db.session()
    ended = end_sessions(store)
    store.commit()
    sign_out()
    flash(f"Signed out everywhere ({ended} sessions ended).")
    return redirect(url_for("moderate.sign_in_page"), code=303)
