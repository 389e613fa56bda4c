"""Marshmallow schemas for every request and response body.

The same schemas validate requests, serialize responses and generate ``/openapi.json``. Request
schemas reject unknown fields (marshmallow's default), so a typo in a field name is a 422 that names
the field rather than a silently dropped value.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

LABELS = ("spam", "toxicity", "severe_toxicity", "insult", "identity_attack", "threat", "profanity")
STATUSES = ("pending", "approved", "held", "rejected")
ACTIONS = ("approve", "reject", "spam", "not_spam")


def _clean_text(value: str) -> None:
    # NUL cannot be stored by PostgreSQL and is never part of a real comment; lone surrogates
    # (invalid Unicode that JSON escapes can smuggle in) cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ma.ValidationError("Must be valid Unicode (no unpaired surrogates).") from error


def _text(minimum: int, maximum: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=minimum, max=maximum), _clean_text], **kwargs
    )


# An http(s) URL without spaces or ASCII control characters. One regex both validates and documents
# it (a format such as "uri" would promise more, or less, than the validator accepts); no \s, which
# means different characters in Python and in the ECMA regexes of JSON Schema.
WEB_URL = r"^https?://[^ /?#\x00-\x1f\x7f]+([/?#][^ \x00-\x1f\x7f]*)?$"


def _web_url(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=2048), validate.Regexp(WEB_URL)],
        metadata={"description": "An http or https URL."},
        **kwargs,
    )


# A web origin, as browsers send it in the Origin header: scheme, host and port; no path.
WEB_ORIGIN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$"


def _web_origin(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=300), validate.Regexp(WEB_ORIGIN)],
        metadata={"description": "A web origin such as https://blog.example (CORS)."},
        **kwargs,
    )


class ThreadSchema(ma.Schema):
    id = _text(1, 200, required=True)
    url = _web_url()
    title = _text(0, 500)


class CommentSubmitSchema(ma.Schema):
    name = _text(1, 100, required=True, metadata={"description": "The author's display name."})
    text = _text(1, 10_000, required=True, metadata={"description": "The comment, as typed."})
    email = fields.Email(validate=validate.Length(max=254))
    url = _web_url()
    thread = fields.Nested(ThreadSchema)
    parent_id = _text(1, 200)
    language = fields.String(
        validate=[
            validate.Length(max=35),  # the column's size (BCP 47 tags in practice stay well below)
            validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"),
        ]
    )
    client_id = _text(
        1,
        200,
        metadata={"description": "The site's own id for this comment; also an idempotency key."},
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
    links = fields.Method("get_links")

    def get_links(self, comment: Any) -> dict[str, str]:
        base = f"/v1/comments/{comment.id}"
        return {"self": base, "history": f"{base}/history", "decision": f"{base}/decision"}


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
    status = fields.String(load_default="held", validate=validate.OneOf(STATUSES))
    site = fields.String()
    thread = fields.String()
    label = fields.String(validate=validate.OneOf(LABELS))
    min_score = fields.Float(validate=validate.Range(min=0, max=1))
    reason = fields.String(validate=validate.Regexp(r"^[a-z_]{1,40}$"))
    author = fields.String(metadata={"description": "An author hash, as listed with comments."})
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(["newest", "oldest", "score", "score_asc"]),
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


class ReviewPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ReviewCommentSchema))
    next_cursor = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class DecisionSubmitSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = _text(0, 1000)
    expected_status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Decide only if the comment still has this status (409, or "
            "``conflict`` in a bulk result, otherwise): two moderators on one comment."
        },
    )


class BulkDecisionSubmitSchema(DecisionSubmitSchema):
    ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=500))


class DecisionSchema(ma.Schema):
    id = fields.Integer()
    comment_id = fields.String()
    actor = fields.String()
    key_id = fields.Integer(allow_none=True)
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


# -- sites and policies ---------------------------------------------------------------------------

WORD_LIST = fields.List(
    _text(1, 100),
    validate=validate.Length(max=1000),
    metadata={"description": "Words or phrases, matched whole on normalized text."},
)


class ThresholdSchema(ma.Schema):
    hold = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))
    reject = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))


class PolicyPatchSchema(ma.Schema):
    """Some keys of a site's policy (checked as a whole once applied)."""

    thresholds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LABELS)), values=fields.Nested(ThresholdSchema)
    )
    premoderation = fields.Boolean()
    trusted_after = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    banned_words = WORD_LIST
    suspect_words = WORD_LIST


class PolicySchema(PolicyPatchSchema):
    """A site's policy; every key optional (defaults in ``moderation.policy``)."""

    @ma.validates_schema
    def _hold_not_above_reject(self, data: dict[str, Any], **_: Any) -> None:
        # Checked on the effective policy: a hold above a default reject is as wrong as above
        # one the site set. (Only hold thresholds left to the model are not known here.)
        from moderation.policy import merged

        errors = {
            label: {"hold": [f"Must not be above reject ({limits['reject']})."]}
            for label, limits in merged(data)["thresholds"].items()
            if limits.get("hold") is not None
            and limits.get("reject") is not None
            and limits["hold"] > limits["reject"]
        }
        if errors:
            raise ma.ValidationError({"thresholds": errors})


class PolicyOutSchema(ma.Schema):
    site = fields.String()
    policy = fields.Dict(metadata={"description": "What the site set."})
    effective = fields.Dict(metadata={"description": "With the defaults filled in."})


class SiteCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,99}$"))
    origins = fields.List(_web_origin(), load_default=list)
    policy = fields.Nested(PolicySchema, load_default=dict)


class SiteSchema(ma.Schema):
    name = fields.String()
    origins = fields.List(fields.String())
    policy = fields.Dict()
    created_at = fields.DateTime()


class PolicyChangeSchema(ma.Schema):
    id = fields.Integer()
    actor = fields.String()
    key_id = fields.Integer(allow_none=True)
    old = fields.Dict()
    new = fields.Dict()
    created_at = fields.DateTime()


# -- webhooks -------------------------------------------------------------------------------------

EVENT_TYPES = ("comment.scored", "comment.decided")


class WebhookPatchSchema(ma.Schema):
    url = _web_url()
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)), validate=validate.Length(min=1)
    )
    active = fields.Boolean()


class WebhookCreateSchema(WebhookPatchSchema):
    url = _web_url(required=True)
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        validate=validate.Length(min=1),
        load_default=lambda: list(EVENT_TYPES),
    )


class WebhookSchema(ma.Schema):
    id = fields.Integer()
    site = fields.Function(lambda hook: hook.site.name)
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    rotated_at = fields.DateTime(allow_none=True)
    previous_valid_until = fields.DateTime(
        allow_none=True,
        metadata={"description": "Until then, deliveries are also signed with the old secret."},
    )
    links = fields.Function(
        lambda hook: {
            "self": f"/v1/webhooks/{hook.id}",
            "deliveries": f"/v1/webhooks/{hook.id}/deliveries",
            "rotate": f"/v1/webhooks/{hook.id}/rotate",
        }
    )


class WebhookSecretSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "The signing secret: shown this once."})


class RotateSchema(ma.Schema):
    grace_seconds = fields.Integer(
        load_default=86_400,
        validate=validate.Range(min=0, max=7 * 86_400),
        metadata={"description": "How long the old secret keeps signing, beside the new one."},
    )


class DeliveryArgsSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The next_cursor of the previous page."},
    )


class DeliverySchema(ma.Schema):
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.Function(lambda delivery: delivery.event.type)
    comment_id = fields.Function(lambda delivery: delivery.event.comment_id)
    status = fields.String()
    attempts = fields.Integer()
    log = fields.List(fields.Dict(), metadata={"description": "Every attempt, oldest first."})
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.Integer(allow_none=True)


# -- stats ----------------------------------------------------------------------------------------


class StatsArgsSchema(ma.Schema):
    site = fields.String()
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)


class OverturnSchema(ma.Schema):
    decided = fields.Integer(metadata={"description": "Automatic verdicts."})
    reviewed = fields.Integer(metadata={"description": "Of those, decided on by a moderator."})
    overturned = fields.Integer(metadata={"description": "Of those, the other way."})
    overturn_rate = fields.Float(allow_none=True, metadata={"description": "overturned/reviewed"})


class AutomaticSchema(ma.Schema):
    by_verdict = fields.Dict(keys=fields.String(), values=fields.Nested(OverturnSchema))
    by_reason = fields.Dict(keys=fields.String(), values=fields.Nested(OverturnSchema))


class OldestHeldSchema(ma.Schema):
    id = fields.String()
    created_at = fields.DateTime()
    age_seconds = fields.Float()


class StatsSchema(ma.Schema):
    generated_at = fields.DateTime()
    site = fields.String(allow_none=True)
    since = fields.DateTime(allow_none=True)
    until = fields.DateTime(allow_none=True)
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    oldest_held = fields.Nested(OldestHeldSchema, allow_none=True)
    automatic = fields.Nested(AutomaticSchema)


class FeedbackArgsSchema(ma.Schema):
    since = fields.AwareDateTime(
        default_timezone=None, metadata={"description": "Decisions made at or after this time."}
    )
    site = fields.String()
    split = fields.String(
        load_default="train",
        validate=validate.OneOf(["train", "holdout", "all"]),
        metadata={
            "description": "train (default): every row but the held-out ones that judge new "
            "model versions; holdout: only those; all: both."
        },
    )
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))
    cursor = fields.String()


class FeedbackRowSchema(ma.Schema):
    """A moderator decision as a labelled training row (``moderation train --feedback``)."""

    text = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    labels = fields.Dict(keys=fields.String(), values=fields.Integer())
    source = fields.String()
    comment_id = fields.String()
    decided_at = fields.String()


class FeedbackPageSchema(ma.Schema):
    items = fields.List(fields.Nested(FeedbackRowSchema))
    next_cursor = fields.String(allow_none=True)


class ErrorSchema(ma.Schema):
    """Every error: the HTTP code and name, a sentence for people, and errors per field."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(
        required=True,
        metadata={"description": "Messages per location and field, e.g. json → text → [...]."},
    )
