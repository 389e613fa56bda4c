"""The schemas of the review API: the queue, decisions, histories and authors' records."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from models.labels import LABELS, TOXICITY_LABELS
from moderation.schemas.comments import CommentSchema
from moderation.schemas.common import ACTIONS, STATUSES, Moment, moderator_field, text_field
from moderation.search import MAX_QUERY_LENGTH, MAX_WORDS, InvalidSearch, words


def checked_search(value: str) -> None:
    """A search the index can run: a word at least, not too many (``search.words``)."""
    try:
        words(value)
    except InvalidSearch as error:
        raise ma.ValidationError(str(error)) from error


class ThreadOutSchema(ma.Schema):
    id = fields.String(attribute="thread_id", allow_none=True)
    url = fields.String(attribute="thread_url", allow_none=True)
    title = fields.String(attribute="thread_title", allow_none=True)


class ReviewCommentSchema(CommentSchema):
    """A comment as a moderator sees it: everything the site sent, the IP only as a hash."""

    name = fields.String()
    text = fields.String()
    email = fields.String(allow_none=True)
    author_hash = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    last_reported_at = fields.DateTime(allow_none=True)
    url = fields.String(allow_none=True)
    thread = fields.Function(lambda comment: ThreadOutSchema().dump(comment))
    parent_id = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    client_id = fields.String(allow_none=True)
    ip_hash = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    referrer = fields.String(allow_none=True)
    author_counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        dump_only=True,
        metadata={"description": "The author's comments on this site per status (by e-mail)."},
    )


class ReviewQueueArgsSchema(ma.Schema):
    queue = fields.String(
        load_default="status",
        validate=validate.OneOf(["status", "reported"]),
        metadata={
            "description": "``reported``: comments readers reported, of every status unless "
            "``status`` is named, most reports first, then the most recently reported."
        },
    )
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "Default ``held`` (every status in the reported queue)."},
    )
    site = fields.String()
    thread = fields.String()
    label = fields.String(validate=validate.OneOf(LABELS))
    min_score = fields.Float(validate=validate.Range(min=0, max=1))
    reason = fields.String(validate=validate.Regexp(r"^[a-z_]{1,40}$"))
    author = fields.String(
        metadata={
            "description": "An author: the site's own author id (``author_id``) or the e-mail "
            "hash (``author_hash``), as listed with comments."
        }
    )
    q = fields.String(
        validate=[validate.Length(min=1, max=MAX_QUERY_LENGTH), checked_search],
        metadata={
            "description": "Words the text must all have (the last one as a prefix), separated "
            "by spaces; punctuation is only text. 422 if it has no letter or digit, or more "
            f"than {MAX_WORDS} words."
        },
    )
    watch_list = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "A watch-list's id: the comments of its threads (404: no such list "
            "for this key; 422: a list of another site than ``site``)."
        },
    )
    since = Moment()
    until = Moment()
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(["newest", "oldest", "score", "score_asc", "reports"]),
        metadata={"description": "By time, or by the score of ``label`` (highest first: score)."},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String()

    @ma.validates_schema
    def _score_needs_label(self, data: dict[str, Any], **_: Any) -> None:
        if "min_score" in data and "label" not in data:
            raise ma.ValidationError("min_score needs a label.", "min_score")
        if data.get("sort", "").startswith("score") and "label" not in data:
            raise ma.ValidationError("Sorting by score needs a label.", "sort")
        # The reported queue has one order, "reports", which no other queue has.
        reported = data.get("queue") == "reported"
        if data.get("sort") not in (
            ("newest", "reports") if reported else ("newest", "oldest", "score", "score_asc")
        ):
            raise ma.ValidationError("The reported queue has its own order.", "sort")

    @ma.post_load
    def _queue_defaults(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data["queue"] == "reported":
            data["sort"] = "reports"
        else:
            data.setdefault("status", "held")
        return data


class ReviewPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ReviewCommentSchema))
    next_cursor = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class DecisionSubmitSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = text_field(0, 1000)
    labels = fields.List(
        fields.String(validate=validate.OneOf(TOXICITY_LABELS)),
        validate=validate.Length(max=len(TOXICITY_LABELS)),
        metadata={
            "description": "With ``reject``: what the comment is, the labels it teaches the "
            "models (default: the labels it was held for, else ``toxicity``). Spam is the "
            "``spam`` action."
        },
    )
    expected_status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Decide only if the comment still has this status (409, or "
            "``conflict`` in a bulk result, otherwise): two moderators on one comment."
        },
    )

    @ma.validates_schema
    def labels_only_with_reject(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("labels") and data.get("action") != "reject":
            raise ma.ValidationError("Only a rejection names labels.", "labels")


class BulkDecisionSubmitSchema(DecisionSubmitSchema):
    ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=500))


class DecisionSchema(ma.Schema):
    id = fields.Integer()
    comment_id = fields.String()
    actor = fields.String()
    key_id = fields.Integer(allow_none=True)
    moderator = moderator_field()
    action = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    reasons = fields.List(fields.String())
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class HistorySchema(ma.Schema):
    comment = fields.Nested(ReviewCommentSchema)
    decisions = fields.List(fields.Nested(DecisionSchema))


class BulkItemResultSchema(ma.Schema):
    id = fields.String()
    result = fields.String(validate=validate.OneOf(["decided", "not_found", "conflict"]))
    status = fields.String(allow_none=True, metadata={"description": "The status now."})
    decision_id = fields.Integer(allow_none=True)


class BulkResultSchema(ma.Schema):
    results = fields.List(fields.Nested(BulkItemResultSchema), metadata={"description": "Per id."})
    decided = fields.List(fields.String())
    not_found = fields.List(fields.String())
    conflict = fields.List(fields.String())


class AuthorArgsSchema(ma.Schema):
    site = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AuthorSchema(ma.Schema):
    author_hash = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    first_seen = fields.DateTime(allow_none=True)
    last_seen = fields.DateTime(allow_none=True)
    comments = fields.List(
        fields.Nested(ReviewCommentSchema), metadata={"description": "Newest first."}
    )
    decisions = fields.List(
        fields.Nested(DecisionSchema),
        metadata={"description": "Moderators' decisions, newest first."},
    )
