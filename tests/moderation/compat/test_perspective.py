"""Perspective comments:analyze and suggestscore over HTTP, through a real worker.

Requests are written from Perspective's documented schema and from what Coral Talk sends; the
answers are checked field by field, with span offsets counted in UTF-16 as JavaScript counts them.
"""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from moderation.compat.calibration import hold_thresholds, policy_scores
from moderation.stats import model_thresholds
from moderation.storage import Comment, Decision, db
from tests.helpers import count, database_dump

ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"
TOXIC = "You are a stupid worthless idiot, shut up."
CLEAN = "Thanks for the clear write-up, the second chart made it click for me."
CORAL = {
    "comment": {"text": TOXIC},
    "doNotStore": True,
    "requestedAttributes": {"TOXICITY": {}},
    "languages": ["en"],
}
ALL_ATTRIBUTES = (
    "TOXICITY",
    "SEVERE_TOXICITY",
    "IDENTITY_ATTACK",
    "INSULT",
    "PROFANITY",
    "THREAT",
    "SPAM",
)


def analyze(client: Any, key: str, body: Any, **kwargs: Any) -> Any:
    return client.post(f"{ANALYZE}?key={key}", json=body, **kwargs)


def js_slice(text: str, begin: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * begin : 2 * end].decode("utf-16-le")


def assert_google_error(
    response: Any, code: int, status: str, error_type: str | None = None
) -> None:
    assert response.status_code == code, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["code"], error["status"]) == (code, status) and error["message"]
    if error_type is not None:
        assert error["details"][0]["errorType"] == error_type


def test_coral_request_is_scored_and_never_stored(
    client: Any, keys: Any, live_worker: None, redis_url: str, caplog: Any
) -> None:
    caplog.set_level("DEBUG")
    response = analyze(client, keys.plain["blog"], CORAL)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"attributeScores", "languages", "detectedLanguages"}
    assert body["languages"] == ["en"] and body["detectedLanguages"] == ["en"]
    summary = body["attributeScores"]["TOXICITY"]["summaryScore"]
    assert summary["type"] == "PROBABILITY" and summary["value"] > 0.5
    # Never stored: no row anywhere, nothing left in Redis that holds the text, no log line.
    assert count() == 0
    assert TOXIC not in database_dump()
    connection = Redis.from_url(redis_url)
    for key in connection.scan_iter(count=1000):
        kind = connection.type(key).decode()
        values = {
            "string": lambda k: [connection.get(k)],
            "hash": lambda k: list(connection.hgetall(k).values()),
            "list": lambda k: connection.lrange(k, 0, -1),
        }.get(kind, lambda k: [])(key)
        assert not any(TOXIC.encode() in (v or b"") for v in values), key
    assert TOXIC not in caplog.text


def test_stored_comment_goes_through_the_policy(client: Any, keys: Any, live_worker: None) -> None:
    body = {**CORAL, "doNotStore": False, "clientToken": "comment:c-17"}
    response = analyze(client, keys.plain["blog"], body)
    assert response.status_code == 200
    assert response.get_json()["clientToken"] == "comment:c-17"
    db.remove()
    comment = db.session().scalar(select(Comment))
    assert (comment.text, comment.client_id, comment.language) == (TOXIC, "comment:c-17", "en")
    assert comment.status == "held" and comment.decided_by == "policy"
    value = response.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    # The stored comment's scores on the policy scale: held, so at or above Coral's 0.8.
    holds = hold_thresholds(None, model_thresholds(db.session()))
    expected = policy_scores(comment.scores, holds, comment.status, comment.reasons)
    assert value == pytest.approx(expected["toxicity"], abs=1e-6)
    assert value >= 0.8


@pytest.mark.parametrize("store", [False, True])
def test_every_attribute_and_emoji_spans_in_utf16(
    client: Any, keys: Any, live_worker: None, store: bool
) -> None:
    text = "Nice post 👍🏽 really. 🙄 You are a stupid worthless idiot!"
    body = {
        "comment": {"text": text, "type": "PLAIN_TEXT"},
        "context": {"entries": [{"text": "An article about charts.", "type": "PLAIN_TEXT"}]},
        "requestedAttributes": {name: {} for name in ALL_ATTRIBUTES},
        "spanAnnotations": True,
        "languages": ["en"],
        "doNotStore": not store,
        "clientToken": "t-1",
        "sessionId": "session-1",
        "communityId": "news",
    }
    response = analyze(client, keys.plain["blog"], body)
    assert response.status_code == 200, response.get_data(as_text=True)
    scores = response.get_json()["attributeScores"]
    assert set(scores) == set(ALL_ATTRIBUTES)
    spans = scores["INSULT"]["spanScores"]
    pieces = [js_slice(text, span["begin"], span["end"]) for span in spans]
    assert pieces == ["Nice post 👍🏽 really.", "🙄 You are a stupid worthless idiot!"]
    assert spans[-1]["end"] == len(text.encode("utf-16-le")) // 2
    first, last = (span["score"]["value"] for span in spans)
    assert last > first
    assert count() == (1 if store else 0)


def test_score_threshold_leaves_low_scores_out(client: Any, keys: Any, live_worker: None) -> None:
    body = {
        "comment": {"text": CLEAN},
        "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.9}, "SPAM": {}},
        "doNotStore": True,
    }
    answer = analyze(client, keys.plain["blog"], body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    scores = answer.get_json()["attributeScores"]
    assert set(scores) == {"SPAM"}


def test_html_comment_is_read_as_text(client: Any, keys: Any, live_worker: None) -> None:
    body = {
        "comment": {"text": f"<p>{TOXIC}</p><script>ignored()</script>", "type": "HTML"},
        "requestedAttributes": {"INSULT": {}},
    }
    assert analyze(client, keys.plain["blog"], body).status_code == 200
    db.remove()
    assert db.session().scalar(select(Comment.text)) == TOXIC


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        (
            {"comment": {"text": "x" * 20481}, "requestedAttributes": {"TOXICITY": {}}},
            "COMMENT_TOO_LONG",
        ),
        ({"comment": {"text": "hi"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {}},
                "languages": ["nl"],  # no Dutch model (French has one)
            },
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        ),
        ({"comment": {"text": "hi"}, "requestedAttributes": {"NOPE": {}}}, "INVALID_REQUEST"),
        (
            {"comment": {"text": "a\ud800b"}, "requestedAttributes": {"TOXICITY": {}}},
            "INVALID_REQUEST",
        ),
    ],
)
def test_error_shapes_over_http(client: Any, keys: Any, body: Any, error_type: str) -> None:
    assert_google_error(
        analyze(client, keys.plain["blog"], body), 400, "INVALID_ARGUMENT", error_type
    )
    assert count() == 0


def test_a_body_that_is_not_json(client: Any, keys: Any) -> None:
    response = client.post(
        f"{ANALYZE}?key={keys.plain['blog']}", data="{not json", content_type="application/json"
    )
    assert_google_error(response, 400, "INVALID_ARGUMENT", "INVALID_REQUEST")


def test_keys(client: Any, keys: Any) -> None:
    assert_google_error(client.post(ANALYZE, json=CORAL), 403, "PERMISSION_DENIED")
    assert_google_error(analyze(client, "msk_unknown", CORAL), 400, "INVALID_ARGUMENT")
    assert_google_error(
        analyze(client, keys.plain["blog_moderator"], CORAL), 403, "PERMISSION_DENIED"
    )
    assert analyze(client, "", CORAL, headers={"X-Goog-Api-Key": "msk_unknown"}).status_code == 400
    # A bearer header is not how Perspective authenticates; without ?key= it is refused.
    response = client.post(ANALYZE, json=CORAL, headers=keys.headers("blog"))
    assert_google_error(response, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize("store", [False, True])
def test_no_worker_is_503_never_a_made_up_score(
    app: Any, client: Any, keys: Any, store: bool
) -> None:
    app.config["WAIT_MAX_MS"] = 300
    response = analyze(client, keys.plain["blog"], {**CORAL, "doNotStore": not store})
    assert_google_error(response, 503, "UNAVAILABLE")
    assert response.headers["Retry-After"]
    assert count() == (1 if store else 0)


def test_suggest_score_is_a_suggestion_never_a_decision(
    client: Any, keys: Any, live_worker: None
) -> None:
    """The site key is public: its suggestion changes no status, labels nothing, earns no trust."""
    body = {**CORAL, "doNotStore": False, "clientToken": "comment:c-9"}
    assert analyze(client, keys.plain["blog"], body).status_code == 200
    db.remove()
    before = db.session().scalar(select(Comment))
    assert before is not None and before.status in {"held", "rejected"}
    for value in (0, 1):
        suggestion = {
            "comment": {"text": TOXIC},
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": value}}},
            "clientToken": "comment:c-9",
        }
        response = client.post(f"{SUGGEST}?key={keys.plain['blog']}", json=suggestion)
        assert response.status_code == 200
        assert response.get_json() == {"clientToken": "comment:c-9"}
    db.remove()
    session = db.session()
    after = session.get(Comment, before.id)
    assert (after.status, after.decided_by) == (before.status, "policy")
    assert session.scalar(select(Decision).where(Decision.actor == "moderator")) is None
    from moderation.learning.feedback import Split, feedback_rows
    from moderation.storage import Suggestion

    assert not list(feedback_rows(session, split=Split.ALL))
    kept = session.scalars(select(Suggestion).order_by(Suggestion.id)).all()
    assert [(s.comment_id, s.action) for s in kept] == [
        (before.id, "approve"),
        (before.id, "reject"),
    ]
