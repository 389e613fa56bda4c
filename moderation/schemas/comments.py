"""The schemas of ``/v1/comments``: a submission and a comment as its site sees it."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from moderation.schemas.common import STATUSES, moderator_field, text_field, web_url


class ThreadSchema(ma.Schema):
    id = text_field(1, 200, required=True)
    url = web_url()
    title = text_field(0, 500)


class CommentSubmitSchema(ma.Schema):
    name = text_field(1, 100, required=True, metadata={"description": "The author's display name."})
    text = text_field(1, 10_000, required=True, metadata={"description": "The comment, as typed."})
    email = fields.Email(validate=validate.Length(max=254))
    url = web_url()
    thread = fields.Nested(ThreadSchema)
    parent_id = text_field(1, 200)
    language = fields.String(
        validate=[
            validate.Length(max=35),  # the column's size (BCP 47 tags in practice stay well below)
            validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"),
        ]
    )
    client_id = text_field(
        1,
        200,
        metadata={"description": "The site's own id for this comment; also an idempotency key."},
    )
    author_id = text_field(
        1,
        200,
        metadata={
            "description": "The site's own id for the author: moderators' actions on the author "
            "(ban, trust, ...) are keyed by it rather than by the e-mail hash."
        },
    )


class SubmitHeadersSchema(ma.Schema):
    """The request headers a submission reads; others are ignored."""

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        # The column's size; visible ASCII, so it never varies with a header's encoding.
        validate=[validate.Length(min=1, max=200), validate.Regexp(r"^[!-~]+$")],
        metadata={"description": "Retries with the same key and body get the same comment."},
    )


class WaitArgsSchema(ma.Schema):
    wait = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Milliseconds to wait for the verdict (capped by the server)."},
    )


class SpanSchema(ma.Schema):
    start = fields.Integer()
    end = fields.Integer()
    text = fields.String()
    weight = fields.Float()
    # A deployment-wide signal's explanation ("same text as 3 comments in the last hour ...").
    reason = fields.String()


class LinksSchema(ma.Schema):
    self = fields.String()
    history = fields.String()
    decision = fields.String()


class CommentSchema(ma.Schema):
    """A comment as its site sees it: status, verdict, reasons and scores; no personal data."""

    id = fields.String()
    site = fields.Function(lambda comment: comment.site.name)
    status = fields.String(validate=validate.OneOf(STATUSES))
    reasons = fields.List(fields.String())
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    scored_at = fields.DateTime(allow_none=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    model_versions = fields.Dict(keys=fields.String(), values=fields.String())
    explanations = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(SpanSchema)))
    report_count = fields.Integer(metadata={"description": "Readers' reports of it."})
    report_reasons = fields.Method(
        "get_report_reasons", metadata={"description": "Reports per reason."}
    )
    # Moderators only (the view sets them): the reports with the readers' words, and the notes.
    reports = fields.List(fields.Nested(lambda: ReportOutSchema()), dump_only=True)
    notes = fields.List(fields.Nested(lambda: NoteOutSchema()), dump_only=True)
    links = fields.Method("get_links")

    def get_report_reasons(self, comment: Any) -> dict[str, int]:
        return dict(getattr(comment, "report_reasons", None) or {})

    def get_links(self, comment: Any) -> dict[str, str]:
        base = f"/v1/comments/{comment.id}"
        return {"self": base, "history": f"{base}/history", "decision": f"{base}/decision"}


class ReportOutSchema(ma.Schema):
    """A reader's report as moderators see it (the reader is never shown)."""

    reason = fields.String()
    text = fields.String(allow_none=True)
    created_at = fields.DateTime()


class NoteOutSchema(ma.Schema):
    id = fields.Integer()
    key_id = fields.Integer(allow_none=True)
    moderator = moderator_field()
    text = fields.String()
    created_at = fields.DateTime()
