"""A model that emits NaN or infinity: the comment is held ``unscored``, on every backend.

The scorer here is a test fixture that wraps the shipped models and spoils one label's score, as
weights corrupted behind a valid checksum would; it runs through a real RQ worker on the test
database (SQLite by default, PostgreSQL with ``MODERATION_TEST_DATABASE_URL``). Nothing of it is
in the production scoring path.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy import select

from moderation.storage import Comment, Score, db
from tests import helpers
from workers.context import WorkerContext, activate

TEXT = "Thanks for the article, the second chart helped a lot."


class SpoiledScorer:
    """The shipped scorer, with ``label``'s score replaced by ``value`` for every comment."""

    def __init__(self, scorer: Any, label: str, value: float) -> None:
        self.scorer, self.label, self.value = scorer, label, value

    def score(self, comments: list[dict[str, Any]]) -> list[dict[str, float]]:
        return [{**scores, self.label: self.value} for scores in self.scorer.score(comments)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.scorer, name)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("label", ["toxicity", "spam"])
def test_a_non_finite_score_holds_the_comment_unscored(
    app: Any, client: Any, keys: Any, work: Any, scorer: Any, label: str, value: float
) -> None:
    activate(
        WorkerContext(
            max_attempts=app.config["MAX_SCORE_ATTEMPTS"],
            secret_key=app.config["SECRET_KEY"],
            scorer=SpoiledScorer(scorer, label, value),
        )
    )
    comment_id = helpers.submit(client, keys, TEXT)
    work()
    shown = client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()
    assert shown["status"] == "held" and shown["reasons"] == ["unscored"]
    assert shown["decided_by"] == "policy"
    db.remove()
    comment = db.session().get(Comment, comment_id)
    # Decided on the first attempt, not after retries that a database's refusal caused.
    assert comment.score_attempts == 1
    assert label in (comment.last_error or "")
    stored = db.session().scalars(select(Score.value).where(Score.comment_id == comment_id)).all()
    assert all(math.isfinite(v) for v in stored)
    assert all(math.isfinite(v) for v in (comment.scores or {}).values())
