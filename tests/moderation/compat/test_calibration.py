"""``summaryScore`` on the site's policy scale (issue 16, item 13): what the policy holds, Coral's
default threshold (toxic when the score is strictly greater than 0.8) holds too."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from moderation.compat.calibration import (
    CORAL_THRESHOLD,
    calibrated,
    hold_thresholds,
    policy_scores,
)
from moderation.storage import Comment, db

ANALYZE = "/v1alpha1/comments:analyze"
TEXTS = (
    "put a bullet in him",
    "You are a stupid worthless idiot, shut up.",
    "Thanks for the clear write-up, the second chart made it click for me.",
    "I disagree with the author, the numbers in the second table look off.",
    "Go back to where you came from, nobody wants your kind here.",
)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A longer wait for verdicts: a cold worker on a busy test machine takes seconds."""
    return {**app_config, "WAIT_MAX_MS": 30_000}


def test_the_map_is_monotone_and_anchored_at_the_hold_threshold() -> None:
    for hold in (0.05, 0.3, 0.5, 0.62, 0.95):
        values = [i / 200 for i in range(201)]
        mapped = [calibrated(v, hold) for v in values]
        assert mapped == sorted(mapped) and mapped[0] == 0.0 and mapped[-1] == 1.0
        for value, score in zip(values, mapped, strict=True):
            assert (score > CORAL_THRESHOLD) == (value >= hold), (hold, value, score)


def test_toxicity_is_the_highest_toxicity_label_and_verdicts_floor_it() -> None:
    holds = hold_thresholds({"thresholds": {"threat": {"hold": 0.4}}}, {"toxicity": 0.6})
    assert holds["threat"] == 0.4 and holds["toxicity"] == 0.6
    scores = policy_scores({"toxicity": 0.3, "threat": 0.45, "spam": 0.1}, holds)
    assert scores["toxicity"] > CORAL_THRESHOLD and scores["spam"] <= CORAL_THRESHOLD
    worded = policy_scores({"toxicity": 0.01}, holds, "held", ["suspect_word"])
    assert worded["toxicity"] > CORAL_THRESHOLD
    assert policy_scores({"toxicity": 0.01}, holds, "approved", [])["toxicity"] < CORAL_THRESHOLD


def test_what_the_policy_holds_coral_holds(client: Any, keys: Any, live_worker: None) -> None:
    """Coral's request (doNotStore: true, its default) against the stored verdict of the text."""
    for text in TEXTS:
        body = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}}
        stored = client.post(f"{ANALYZE}?key={keys.plain['blog']}", json=body)
        coral = client.post(
            f"{ANALYZE}?key={keys.plain['blog']}",
            json={**body, "doNotStore": True, "languages": ["en"]},
        )
        assert stored.status_code == coral.status_code == 200, coral.get_data(as_text=True)
        db.remove()
        comment = db.session().scalars(select(Comment).order_by(Comment.created_at.desc())).first()
        held = comment.status in {"held", "rejected"} and not set(comment.reasons) <= {"spam"}
        for answer in (stored, coral):
            score = answer.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
            assert (score > CORAL_THRESHOLD) == held, (text, comment.status, comment.reasons, score)
