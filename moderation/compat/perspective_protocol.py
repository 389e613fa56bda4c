"""Perspective API v1alpha1 as JSON on the wire: request parsing, answers and error shapes.

Pure functions, no Flask: the views in ``perspective.py`` call them. The protocol is Google's, so
its errors are Google's shape, not the ``/v1`` one::

    {"error": {"code": 400, "message": "Comment must be non-empty.", "status": "INVALID_ARGUMENT",
               "details": [{"@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                            "errorType": "COMMENT_EMPTY"}]}}

Like Google's JSON parser, a field the API does not define is refused (400), not ignored.
Scores are ``PROBABILITY``; span offsets are UTF-16 code units, ``end`` exclusive (``spans.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from models.labels import LABELS

ANALYZER_ERROR_TYPE = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
# Perspective's limit: 20 KB of UTF-8.
MAX_TEXT_BYTES = 20 * 1024
# The languages answered when nothing else is known; Perspective's language codes, lower case.
SUPPORTED_LANGUAGES = ("en",)
# {language: the labels its model scores}: English alone unless the caller passes the shipped
# catalog (``models.catalog.language_labels``).
ENGLISH_ONLY: Mapping[str, Sequence[str]] = {"en": LABELS}
SCORE_TYPE = "PROBABILITY"
TEXT_TYPES = ("PLAIN_TEXT", "HTML")
# Perspective attribute name -> our label: the names are the same, in capitals.
ATTRIBUTES: dict[str, str] = {label.upper(): label for label in LABELS}
ANALYZE_FIELDS = frozenset(
    {
        "comment",
        "context",
        "requestedAttributes",
        "spanAnnotations",
        "languages",
        "doNotStore",
        "clientToken",
        "sessionId",
        "communityId",
        "dropUnsupportedAttributes",
    }
)
SUGGEST_FIELDS = frozenset(
    {"comment", "context", "attributeScores", "languages", "communityId", "clientToken"}
)


class ErrorType(StrEnum):
    COMMENT_TOO_LONG = "COMMENT_TOO_LONG"
    COMMENT_EMPTY = "COMMENT_EMPTY"
    NO_REQUESTED_ATTRIBUTES = "NO_REQUESTED_ATTRIBUTES"
    LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE = "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    INVALID_REQUEST = "INVALID_REQUEST"


class PerspectiveError(Exception):
    """An error answer: HTTP code, Google's status name, a message and the details list."""

    def __init__(self, code: int, status: str, message: str, details: list[dict[str, Any]]):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid(message: str, error_type: ErrorType = ErrorType.INVALID_REQUEST) -> PerspectiveError:
    """400 INVALID_ARGUMENT with the analyzer's errorType."""
    details = [{"@type": ANALYZER_ERROR_TYPE, "errorType": error_type}]
    return PerspectiveError(400, "INVALID_ARGUMENT", message, details)


def key_error(reason: str) -> PerspectiveError:
    """A key Google would refuse: missing (403), unknown (400) or not allowed (403)."""
    info = {
        "@type": ERROR_INFO_TYPE,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "commentanalyzer.googleapis.com"},
    }
    if reason == "API_KEY_INVALID":
        return PerspectiveError(
            400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [info]
        )
    if reason == "API_KEY_MISSING":
        return PerspectiveError(
            403,
            "PERMISSION_DENIED",
            "The request is missing a valid API key.",
            [{**info, "reason": "API_KEY_MISSING"}],
        )
    return PerspectiveError(
        403, "PERMISSION_DENIED", "This API key may not call the Perspective API.", [info]
    )


def failed_precondition(message: str) -> PerspectiveError:
    """400 FAILED_PRECONDITION (Google's code for it): the request is sound, the state refuses
    it (a moderator closed the comment's thread); retrying will not help."""
    return PerspectiveError(400, "FAILED_PRECONDITION", message, [])


def unavailable(message: str) -> PerspectiveError:
    """503 UNAVAILABLE: no score in time (the client retries or fails open; we never guess)."""
    return PerspectiveError(503, "UNAVAILABLE", message, [])


@dataclass(frozen=True)
class Requested:
    """One requested attribute: its label and the threshold under which it is left out."""

    attribute: str
    label: str
    threshold: float | None = None


@dataclass(frozen=True)
class AnalyzeRequest:
    text: str
    text_type: str
    attributes: tuple[Requested, ...]
    languages: tuple[str, ...]
    span_annotations: bool = False
    do_not_store: bool = False
    drop_unsupported: bool = False
    client_token: str | None = None
    session_id: str | None = None
    community_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"Invalid value at '{name}': expected an object.")
    return value


def _string(body: dict[str, Any], name: str, path: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"Invalid value at '{path}': expected a string.")
    return value


def _boolean(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise invalid(f"Invalid value at '{name}': expected a boolean.")
    return value


def _known_fields(body: dict[str, Any], allowed: frozenset[str], path: str = "") -> None:
    for name in body:
        if name not in allowed:
            raise invalid(
                f'Invalid JSON payload received. Unknown name "{name}"{path}: Cannot find field.'
            )


def text_entry(value: Any, path: str) -> tuple[str, str]:
    """``{text, type?}`` → (text, type); the type defaults to PLAIN_TEXT."""
    entry = _object(value, path)
    _known_fields(entry, frozenset({"text", "type"}), f" at '{path}'")
    text = _string(entry, "text", f"{path}.text") or ""
    kind = _string(entry, "type", f"{path}.type") or "PLAIN_TEXT"
    if kind not in TEXT_TYPES:
        raise invalid(f"Invalid value at '{path}.type': {kind!r} is not PLAIN_TEXT or HTML.")
    return text, kind


def checked_text(value: Any) -> tuple[str, str]:
    """The comment's text and type, refusing empty, too long and unencodable text."""
    if value is None:
        raise invalid("Comment must be non-empty.", ErrorType.COMMENT_EMPTY)
    text, kind = text_entry(value, "comment")
    if not text.strip():
        raise invalid("Comment must be non-empty.", ErrorType.COMMENT_EMPTY)
    if "\x00" in text:
        raise invalid("Invalid value at 'comment.text': NUL characters are not allowed.")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise invalid("Invalid value at 'comment.text': unpaired surrogate.") from None
    if size > MAX_TEXT_BYTES:
        raise invalid(
            f"Comment text too long: {size} bytes, the limit is {MAX_TEXT_BYTES}.",
            ErrorType.COMMENT_TOO_LONG,
        )
    return text, kind


def checked_context(value: Any) -> dict[str, Any]:
    """``entries`` or ``articleAndParentComment``, not both; accepted, not read by the models."""
    if value is None:
        return {}
    context = _object(value, "context")
    _known_fields(context, frozenset({"entries", "articleAndParentComment"}), " at 'context'")
    if "entries" in context and "articleAndParentComment" in context:
        raise invalid("Context must have either entries or articleAndParentComment, not both.")
    entries = context.get("entries", [])
    if not isinstance(entries, list):
        raise invalid("Invalid value at 'context.entries': expected a list.")
    for index, entry in enumerate(entries):
        text_entry(entry, f"context.entries[{index}]")
    pair = context.get("articleAndParentComment")
    if pair is not None:
        pair = _object(pair, "context.articleAndParentComment")
        allowed = frozenset({"article", "parentComment"})
        _known_fields(pair, allowed, " at 'context.articleAndParentComment'")
        for name in allowed & set(pair):
            text_entry(pair[name], f"context.articleAndParentComment.{name}")
    return context


def checked_languages(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid("Invalid value at 'languages': expected a list of strings.")
    return tuple(item.strip().lower() for item in value)


def base_language(code: str) -> str:
    """``"pt-br"`` -> ``"pt"``."""
    return code.replace("_", "-").split("-")[0]


def requested_attributes(
    value: Any,
    languages: tuple[str, ...],
    drop: bool,
    catalog: Mapping[str, Sequence[str]] = ENGLISH_ONLY,
) -> list[Requested]:
    """The attributes to score; unknown ones, and those the request's language has no model
    for (the first requested language with a model is the one that scores), are errors or
    drops (``dropUnsupportedAttributes``)."""
    if value is None or (isinstance(value, dict) and not value):
        raise invalid(
            "At least one requested attribute is needed.", ErrorType.NO_REQUESTED_ATTRIBUTES
        )
    attributes = _object(value, "requestedAttributes")
    readable = [base_language(lang) for lang in languages if base_language(lang) in catalog]
    scored = set(catalog[readable[0]]) if readable else set()
    requested = []
    for name, config in attributes.items():
        path = f"requestedAttributes[{name!r}]"
        options = _object(config if config is not None else {}, path)
        _known_fields(options, frozenset({"scoreType", "scoreThreshold"}), f" at '{path}'")
        kind = options.get("scoreType") or SCORE_TYPE
        if kind != SCORE_TYPE:
            raise invalid(f"Invalid value at '{path}.scoreType': only PROBABILITY is served.")
        threshold = options.get("scoreThreshold")
        valid_number = isinstance(threshold, int | float) and not isinstance(threshold, bool)
        if threshold is not None and not (valid_number and 0 <= threshold <= 1):
            raise invalid(f"Invalid value at '{path}.scoreThreshold': expected 0 to 1.")
        label = ATTRIBUTES.get(name)
        if label is None or (languages and label not in scored):
            if drop:
                continue
            if label is None:
                raise invalid(
                    f"Attribute {name} is not supported; supported: {', '.join(ATTRIBUTES)}."
                )
            raise invalid(
                f"Attribute {name} does not support request languages: {', '.join(languages)}",
                ErrorType.LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
            )
        requested.append(
            Requested(name, label, float(threshold) if threshold is not None else None)
        )
    return requested


def parse_analyze(body: Any, catalog: Mapping[str, Sequence[str]] = ENGLISH_ONLY) -> AnalyzeRequest:
    """An ``AnalyzeCommentRequest``, checked; raises :class:`PerspectiveError` (400) if invalid.

    ``catalog`` is ``{language: labels}`` of the shipped models (``models.catalog``).
    """
    body = _object(body, "request")
    _known_fields(body, ANALYZE_FIELDS)
    text, kind = checked_text(body.get("comment"))
    context = checked_context(body.get("context"))
    languages = checked_languages(body.get("languages"))
    drop = _boolean(body, "dropUnsupportedAttributes")
    attributes = requested_attributes(body.get("requestedAttributes"), languages, drop, catalog)
    return AnalyzeRequest(
        text=text,
        text_type=kind,
        attributes=tuple(attributes),
        languages=languages,
        span_annotations=_boolean(body, "spanAnnotations"),
        do_not_store=_boolean(body, "doNotStore"),
        drop_unsupported=drop,
        client_token=_string(body, "clientToken", "clientToken"),
        session_id=_string(body, "sessionId", "sessionId"),
        community_id=_string(body, "communityId", "communityId"),
        context=context,
    )


@dataclass(frozen=True)
class Suggestion:
    """A ``SuggestCommentScoreRequest``: a person's scores for a comment (moderator feedback)."""

    text: str
    labels: dict[str, float]
    client_token: str | None
    community_id: str | None


def parse_suggest(body: Any) -> Suggestion:
    """Check a suggestscore request; each attribute needs ``summaryScore.value`` in [0, 1]."""
    body = _object(body, "request")
    _known_fields(body, SUGGEST_FIELDS)
    text, _kind = checked_text(body.get("comment"))
    checked_context(body.get("context"))
    checked_languages(body.get("languages"))
    scores = _object(body.get("attributeScores"), "attributeScores")
    if not scores:
        raise invalid("At least one attribute score is needed.", ErrorType.NO_REQUESTED_ATTRIBUTES)
    labels: dict[str, float] = {}
    for name, entry in scores.items():
        label = ATTRIBUTES.get(name)
        if label is None:
            raise invalid(f"Attribute {name} is not supported; supported: {', '.join(ATTRIBUTES)}.")
        summary = _object(
            _object(entry, f"attributeScores[{name!r}]").get("summaryScore"), "summaryScore"
        )
        value = summary.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise invalid(f"Invalid value at 'attributeScores[{name!r}].summaryScore.value'.")
        labels[label] = float(value)
    return Suggestion(
        text=text,
        labels=labels,
        client_token=_string(body, "clientToken", "clientToken"),
        community_id=_string(body, "communityId", "communityId"),
    )


def score(value: float) -> dict[str, Any]:
    return {"value": round(float(value), 6), "type": SCORE_TYPE}


def analyze_response(
    request: AnalyzeRequest,
    scores: dict[str, float],
    spans: list[tuple[int, int, dict[str, float]]] | None = None,
    language: str | None = None,
    catalog: Mapping[str, Sequence[str]] = ENGLISH_ONLY,
) -> dict[str, Any]:
    """The ``AnalyzeCommentResponse`` for ``scores`` (label → p) and UTF-16 ``spans``.

    Each span is ``(begin, end, {label: p})``. A score below the attribute's ``scoreThreshold``
    is left out; an attribute left with nothing is left out entirely. ``language`` is the one
    whose model scored the comment (``detectedLanguages``); an attribute that language's model
    does not score is left out under ``dropUnsupportedAttributes``, else the answer is
    Perspective's LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE. Any other missing or non-finite score is
    an error, never a guess.
    """
    attribute_scores: dict[str, Any] = {}
    scored = set(catalog.get(language or "en", ()))
    for wanted in request.attributes:
        if language is not None and wanted.label not in scored and wanted.label not in scores:
            if request.drop_unsupported:
                continue
            raise invalid(
                f"Attribute {wanted.attribute} does not support request languages: {language}",
                ErrorType.LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
            )
        value = scores.get(wanted.label)
        if value is None or not math.isfinite(value):
            raise unavailable(f"No score for {wanted.attribute}; retry later.")
        keep = wanted.threshold is None or value >= wanted.threshold
        entry: dict[str, Any] = {"summaryScore": score(value)} if keep else {}
        if request.span_annotations and spans:
            span_scores = [
                {"begin": begin, "end": end, "score": score(values[wanted.label])}
                for begin, end, values in spans
                if wanted.threshold is None or values[wanted.label] >= wanted.threshold
            ]
            if span_scores:
                entry["spanScores"] = span_scores
        if entry:
            attribute_scores[wanted.attribute] = entry
    answer: dict[str, Any] = {
        "attributeScores": attribute_scores,
        "languages": list(request.languages or ([language] if language else SUPPORTED_LANGUAGES)),
    }
    if language is not None:
        answer["detectedLanguages"] = [language]
    if request.client_token is not None:
        answer["clientToken"] = request.client_token
    return answer
