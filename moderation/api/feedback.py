"""Moderators' decisions as labelled training data (see ``moderation.learning.feedback``)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from moderation.http.auth import authenticate
from moderation.http.scope import site_scope
from moderation.learning.feedback import Split, feedback_rows
from moderation.schemas.feedback import FeedbackArgsSchema, FeedbackPageSchema
from moderation.storage import Role, db

blp = Blueprint("feedback", __name__, url_prefix="/v1", description="Learning from moderators")


def encode_cursor(position: tuple[datetime, int]) -> str:
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        decided_at, decision_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(decided_at), int(decision_id)
    except (ValueError, TypeError, binascii.Error):
        abort(422, message="The cursor is not valid.", errors={"query": {"cursor": ["Invalid."]}})


@blp.route("/feedback")
class Feedback(MethodView):
    @blp.arguments(FeedbackArgsSchema, location="query")
    @blp.response(200, FeedbackPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Labelled rows from moderators' decisions, oldest first, in pages.

        The JSON Lines that ``moderation feedback export`` writes, as pages: only each comment's
        latest moderator decision counts, and decisions that give no label are left out. A
        moderator of one site sees that site's rows; an admin sees every site's.
        """
        session = db.session()
        principal = authenticate(session, Role.MODERATE)
        site_id = site_scope(session, principal, args.get("site"))
        after = decode_cursor(args["cursor"]) if "cursor" in args else None
        found = list(
            feedback_rows(
                session,
                split=Split(args["split"]),
                since=args.get("since"),
                site_id=site_id,
                after=after,
                limit=args["limit"] + 1,
            )
        )
        page = found[: args["limit"]]
        more = len(found) > args["limit"]
        return {
            "items": [row for row, _ in page],
            "next_cursor": encode_cursor(page[-1][1]) if more else None,
        }
