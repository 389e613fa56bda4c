"""The schemas of readers' reports, moderators' actions on authors and threads, and notes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from moderation.reports import REPORT_REASONS
from moderation.schemas.comments import NoteOutSchema
from moderation.schemas.common import Moment, moderator_field, text_field
from moderation.schemas.review import DecisionSchema, ReviewCommentSchema
from moderation.settings import AUTHOR_ACTIONS, THREAD_ACTIONS


class ReportSubmitSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.OneOf(REPORT_REASONS))
    text = text_field(0, 1000, metadata={"description": "What the reader says, optional."})
    reader_id = text_field(
        1,
        200,
        metadata={
            "description": "The site's own id for the reader (kept only as a keyed hash); "
            "without it, the reader is recognised by the client address."
        },
    )


class ReportSchema(ma.Schema):
    comment_id = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()
    report_count = fields.Integer(metadata={"description": "The comment's reports now."})
    status = fields.String(metadata={"description": "The comment's status now."})


class NoteSubmitSchema(ma.Schema):
    text = text_field(1, 5000, required=True)


class NoteSchema(NoteOutSchema):
    """A note with what it is on: ``comment`` or ``author``, and its id or key."""

    subject = fields.String()
    subject_id = fields.String()


class ActionSchema(ma.Schema):
    """One audited action on an author, a thread or a comment (notes included)."""

    id = fields.Integer()
    subject = fields.String()
    subject_id = fields.String()
    key_id = fields.Integer(allow_none=True)
    moderator = moderator_field()
    action = fields.String()
    detail = fields.Dict()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AuthorActionSubmitSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(list(AUTHOR_ACTIONS)))
    until = Moment(metadata={"description": "When a suspension ends (``suspend`` only)."})
    note = text_field(0, 1000, metadata={"description": "Why, for the audit log."})

    @ma.validates_schema
    def _until_with_suspend(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("action") == "suspend") != ("until" in data):
            raise ma.ValidationError("suspend needs until; other actions take none.", "until")


class AuthorSettingsSchema(ma.Schema):
    banned = fields.Boolean()
    suspended_until = fields.DateTime(allow_none=True)
    premoderated = fields.Boolean()
    trusted = fields.Boolean()


class AuthorStandingSchema(ma.Schema):
    """An author of a site: the moderators' settings, record, notes and actions."""

    site = fields.String()
    author = fields.String(metadata={"description": "The site's author id, or the e-mail hash."})
    settings = fields.Nested(AuthorSettingsSchema)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    comments = fields.List(fields.Nested(ReviewCommentSchema), metadata={"description": "Newest."})
    decisions = fields.List(fields.Nested(DecisionSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    actions = fields.List(fields.Nested(ActionSchema), metadata={"description": "Newest first."})


class ThreadArgsSchema(ma.Schema):
    thread = text_field(1, 200, metadata={"description": "This thread only."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ThreadActionSubmitSchema(ma.Schema):
    thread = text_field(1, 200, required=True)
    action = fields.String(required=True, validate=validate.OneOf(list(THREAD_ACTIONS)))
    note = text_field(0, 1000, metadata={"description": "Why, for the audit log."})


class ThreadSettingsSchema(ma.Schema):
    site = fields.String()
    thread = fields.String()
    closed = fields.Boolean()
    premoderated = fields.Boolean()
    actions = fields.List(fields.Nested(ActionSchema), metadata={"description": "Newest first."})


class ThreadListSchema(ma.Schema):
    items = fields.List(fields.Nested(ThreadSettingsSchema))
