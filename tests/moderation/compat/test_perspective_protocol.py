"""Perspective requests, answers and error shapes, from the documented schema."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.compat.perspective_protocol import (
    ANALYZER_ERROR_TYPE,
    MAX_TEXT_BYTES,
    PerspectiveError,
    analyze_response,
    parse_analyze,
    parse_suggest,
)
from moderation.compat.spans import to_utf16

# What Coral Talk sends (src/core/server/services/comments/pipeline/phases/toxic.ts).
CORAL_REQUEST = {
    "comment": {"text": "You are an idiot"},
    "doNotStore": True,
    "requestedAttributes": {"TOXICITY": {}},
    "languages": ["en"],
}
SCORES = {
    "spam": 0.01,
    "toxicity": 0.91,
    "severe_toxicity": 0.2,
    "insult": 0.85,
    "identity_attack": 0.03,
    "threat": 0.02,
    "profanity": 0.4,
}


def error_of(body: Any) -> dict[str, Any]:
    with pytest.raises(PerspectiveError) as caught:
        parse_analyze(body)
    return caught.value.body()["error"]


def test_coral_request_and_answer() -> None:
    request = parse_analyze(CORAL_REQUEST)
    assert request.do_not_store and request.languages == ("en",)
    assert analyze_response(request, SCORES) == {
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.91, "type": "PROBABILITY"}}},
        "languages": ["en"],
    }


def test_every_documented_field() -> None:
    body = {
        "comment": {"text": "Nice 👋 post. You idiot!", "type": "PLAIN_TEXT"},
        "context": {"entries": [{"text": "the article", "type": "PLAIN_TEXT"}]},
        "requestedAttributes": {
            "TOXICITY": {"scoreType": "PROBABILITY", "scoreThreshold": 0.5},
            "SEVERE_TOXICITY": {},
            "IDENTITY_ATTACK": {},
            "INSULT": {},
            "PROFANITY": {"scoreThreshold": 0.9},
            "THREAT": {},
            "SPAM": {},
        },
        "spanAnnotations": True,
        "languages": ["en"],
        "doNotStore": False,
        "clientToken": "comment:42",
        "sessionId": "s1",
        "communityId": "news",
    }
    request = parse_analyze(body)
    text = body["comment"]["text"]
    cut = text.index("You")
    spans = [
        (*to_utf16(text, 0, cut - 1), {**SCORES, "toxicity": 0.1, "insult": 0.1}),
        (*to_utf16(text, cut, len(text)), SCORES),
    ]
    answer = analyze_response(request, SCORES, spans)
    assert answer["clientToken"] == "comment:42"
    assert set(answer["attributeScores"]) == {
        "TOXICITY", "SEVERE_TOXICITY", "IDENTITY_ATTACK", "INSULT", "THREAT", "SPAM",
    }  # fmt: skip
    toxicity = answer["attributeScores"]["TOXICITY"]
    # Below the threshold (0.5): the first sentence's span is left out.
    assert toxicity["spanScores"] == [
        {"begin": 14, "end": 24, "score": {"value": 0.91, "type": "PROBABILITY"}}
    ]
    assert len(answer["attributeScores"]["INSULT"]["spanScores"]) == 2


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        ({"comment": {"text": "  \n"}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        ({"requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        (
            {
                "comment": {"text": "é" * (MAX_TEXT_BYTES // 2 + 1)},
                "requestedAttributes": {"TOXICITY": {}},
            },
            "COMMENT_TOO_LONG",
        ),
        ({"comment": {"text": "hi"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
        ({"comment": {"text": "hi"}}, "NO_REQUESTED_ATTRIBUTES"),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {}},
                "languages": ["de"],
            },
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        ),
        ({"comment": {"text": "hi"}, "requestedAttributes": {"FLIRTATION": {}}}, "INVALID_REQUEST"),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "x": 1},
            "INVALID_REQUEST",
        ),
        (
            {
                "comment": {"text": "hi", "type": "MARKDOWN"},
                "requestedAttributes": {"TOXICITY": {}},
            },
            "INVALID_REQUEST",
        ),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {}},
                "context": {"entries": [], "articleAndParentComment": {}},
            },
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}},
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "a\x00b"}, "requestedAttributes": {"TOXICITY": {}}},
            "INVALID_REQUEST",
        ),
        ([], "INVALID_REQUEST"),
    ],
)
def test_error_shapes(body: Any, error_type: str) -> None:
    error = error_of(body)
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["message"]
    assert error["details"] == [{"@type": ANALYZER_ERROR_TYPE, "errorType": error_type}]


def test_empty_comment_message_is_perspectives() -> None:
    error = error_of({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}})
    assert error["message"] == "Comment must be non-empty."


def test_drop_unsupported_attributes() -> None:
    request = parse_analyze(
        {
            "comment": {"text": "hi"},
            "requestedAttributes": {"TOXICITY": {}, "FLIRTATION": {}},
            "dropUnsupportedAttributes": True,
        }
    )
    assert [wanted.attribute for wanted in request.attributes] == ["TOXICITY"]


def test_a_missing_score_is_an_error_never_a_guess() -> None:
    request = parse_analyze(CORAL_REQUEST)
    for scores in ({}, {"toxicity": float("nan")}):
        with pytest.raises(PerspectiveError) as caught:
            analyze_response(request, scores)
        assert caught.value.code == 503
        assert caught.value.body()["error"]["status"] == "UNAVAILABLE"


def test_suggest_score() -> None:
    suggestion = parse_suggest(
        {
            "comment": {"text": "You are an idiot"},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
            "clientToken": "comment:abc",
        }
    )
    assert suggestion.labels == {"toxicity": 1.0}
    assert suggestion.client_token == "comment:abc"
    for bad in (
        {"comment": {"text": "x"}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": 3}}}},
        {"comment": {"text": "x"}, "attributeScores": {"NOPE": {"summaryScore": {"value": 1}}}},
        {"comment": {"text": "x"}, "attributeScores": {}},
    ):
        with pytest.raises(PerspectiveError):
            parse_suggest(bad)
