"""From submission to verdict: a real RQ worker scores with the shipped models."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models.labels import LABELS
from moderation import metrics
from moderation.policy import Verdict
from moderation.storage import Comment, Decision, Score, db
from workers import scoring

CLEAN = {"name": "Ada", "text": "Thanks for the clear explanation, the second chart helped a lot."}
TOXIC = {"name": "Troll", "text": "You are a worthless idiot, shut up you stupid moron."}


def submit(client: Any, keys: Any, body: dict[str, Any], site: str = "blog") -> str:
    response = client.post("/v1/comments", json=body, headers=keys.headers(site))
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def test_clean_comment_is_approved_with_scores_and_versions(
    client: Any, keys: Any, work: Any, scorer: Any
) -> None:
    comment_id = submit(client, keys, CLEAN)
    work()
    body = client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()
    assert body["status"] == "approved" and body["decided_by"] == "policy"
    assert body["reasons"] == []
    assert set(body["scores"]) == set(LABELS)
    assert all(0.0 <= p <= 1.0 for p in body["scores"].values())
    # The encoder is on by default, and its version is among what scored the comment.
    assert set(body["model_versions"]) == {"spam", "toxicity", "encoder"}
    assert body["model_versions"]["encoder"] == scorer.encoder_version
    rows = db.session().scalars(select(Score).where(Score.comment_id == comment_id)).all()
    assert {row.label for row in rows} == set(LABELS)


def test_toxic_comment_is_held_with_reasons_and_explained(
    client: Any, keys: Any, work: Any
) -> None:
    comment_id = submit(client, keys, TOXIC)
    work()
    body = client.get(f"/v1/comments/{comment_id}", headers=keys.headers("blog")).get_json()
    assert body["status"] in {"held", "rejected"}
    assert "toxicity" in body["reasons"] or "insult" in body["reasons"]
    spans = body["explanations"]["toxicity"]
    assert spans, "a held comment explains its label"
    for span in spans:
        assert TOXIC["text"][span["start"] : span["end"]] == span["text"]
    assert any(
        word in " ".join(s["text"].lower() for s in spans) for word in ("idiot", "moron", "stupid")
    )

    queue = client.get("/v1/review/queue", headers=keys.headers("blog_moderator")).get_json()
    if body["status"] == "held":
        assert [item["id"] for item in queue["items"]] == [comment_id]
        assert queue["counts"]["held"] == 1


def test_moderator_decision_shows_in_history(client: Any, keys: Any, work: Any) -> None:
    comment_id = submit(client, keys, TOXIC)
    work()
    decided = client.post(
        f"/v1/comments/{comment_id}/decision",
        json={"action": "approve", "reason": "quoting the troll to condemn him"},
        headers=keys.headers("blog_moderator"),
    )
    assert decided.status_code == 201
    history = client.get(
        f"/v1/comments/{comment_id}/history", headers=keys.headers("blog_moderator")
    ).get_json()
    assert history["comment"]["status"] == "approved"
    assert history["comment"]["decided_by"] == "moderator"
    actors = [(d["actor"], d["action"], d["to_status"]) for d in history["decisions"]]
    assert actors[0][0] == "policy" and actors[0][1] == "score"
    assert actors[-1] == ("moderator", "approve", "approved")
    assert history["decisions"][-1]["note"] == "quoting the troll to condemn him"
    assert len(db.session().scalars(select(Decision)).all()) == 2


def test_wait_times_out_with_202_and_a_replay_after_the_verdict_is_200(
    client: Any, keys: Any, work: Any
) -> None:
    # No worker runs during these requests (the end-to-end test covers a live one), so the first
    # wait times out; the replay of the same client_id returns the stored, now decided comment.
    body = {**CLEAN, "client_id": "c-1"}
    first = client.post("/v1/comments?wait=300", json=body, headers=keys.headers("blog"))
    assert first.status_code == 202 and first.get_json()["status"] == "pending"
    work()
    again = client.post("/v1/comments?wait=300", json=body, headers=keys.headers("blog"))
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["status"] == "approved"


def test_settle_counts_once_and_announces_after_the_commit(
    client: Any, keys: Any, monkeypatch: Any
) -> None:
    comment_id = submit(client, keys, CLEAN)
    told: list[tuple[str, str]] = []
    counted: list[str] = []
    monkeypatch.setattr(scoring, "announce", lambda cid, status: told.append((cid, status)))
    monkeypatch.setattr(metrics, "record_verdict", lambda status, reasons: counted.append(status))
    with pytest.raises(RuntimeError), db.transaction() as session:
        scoring.settle(session, comment_id, Verdict("approved", []))
        raise RuntimeError("rolled back")
    assert told == [] and counted == []
    assert scoring.fail_closed(comment_id, RuntimeError("broken model")) == "held"
    assert told == [(comment_id, "held")] and counted == ["held"]
    # A second run writes nothing and counts nothing; waiting requests still hear the verdict.
    assert scoring.fail_closed(comment_id, RuntimeError("again")) == "held"
    assert told == [(comment_id, "held")] * 2 and counted == ["held"]
    assert db.session().get(Comment, comment_id).reasons == ["unscored"]


@pytest.mark.parametrize(
    ("text", "leads"),
    [
        ("These immigrants are vermin.", "vermin"),
        ("Shut up, you stupid b*tch of a f.u.c.k.i.n.g id10t.", None),
    ],
)
def test_stored_explanations_follow_the_span_rules(
    scorer: Any, text: str, leads: str | None
) -> None:
    # What the explain job stores: whole words, no function words, the attack first, shares.
    (scores,) = scorer.score([{"text": text}])
    stored = scoring.explain(scorer, {"text": text}, scores)
    spans = stored["toxicity"]
    assert spans and all(set(s) == {"start", "end", "text", "weight"} for s in spans)
    if leads is not None:
        assert spans[0]["text"] == leads, spans
        assert spans[0]["weight"] > max(s["weight"] for s in spans[1:])
    for label_spans in stored.values():
        shown = {s["text"].lower() for s in label_spans}
        assert not {"a", "of", "up", "you", "tch", "b", "f"} & shown, shown
        assert 0.0 < sum(s["weight"] for s in label_spans) <= 1.0
        for s in label_spans:
            assert text[s["start"] : s["end"]] == s["text"]
