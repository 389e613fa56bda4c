"""Learning from moderators: feedback export, the model registry, promotion and hot reload.

Two small models are trained once per session (``sample=`` rows per source): a baseline, and a
candidate that also learned from moderator feedback in which one hotel brand is spam. Held-out
feedback about the same brand is what tells the two apart: the baseline cannot, the candidate can.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from moderation.decisions import record_verdict
from moderation.learning.feedback import feedback_labels
from moderation.policy import Verdict
from moderation.queue import SCORE_QUEUE, get_queue
from moderation.storage import Comment, ModelEvent, ModelVersion, Score, Site, db

SAMPLE = 100
PLACES = ("the lake", "the old harbour", "the ski slopes", "the city centre", "the river",
          "the national park", "the beach", "the castle", "the airport", "the market")  # fmt: skip
REMARKS = ("the rooms were spotless", "breakfast was generous", "the staff were friendly",
           "parking was easy", "the view was lovely", "the beds were comfortable",
           "it was quiet at night", "check-in was quick")  # fmt: skip


def stay_reviews(brand: str | None, count: int, seed: int) -> list[str]:
    """Hotel reviews that differ only in whether they name ``brand`` (spam) or not (fine)."""
    combos = list(itertools.product(PLACES, REMARKS, range(2, 9)))
    random.Random(seed).shuffle(combos)
    where = f"{brand} lodge" if brand else "a small lodge"
    return [
        f"We stayed at {where} near {place} for {nights} nights and {remark}."
        for place, remark, nights in combos[:count]
    ]


SPAM = stay_reviews("Glimmerstone", 125, 1)
FINE = stay_reviews(None, 125, 2)
# 200 decisions to learn from, then the 50 most recent: the held-out share (25 of each class,
# enough for the promotion gate to tell: models.evaluate.gate.MIN_POSITIVES).
TRAIN = [(t, 1) for t in SPAM[:100]] + [(t, 0) for t in FINE[:100]]
HOLDOUT = [(t, 1) for t in SPAM[100:]] + [(t, 0) for t in FINE[100:]]


def data_dir() -> Path:
    """The public datasets training needs; the test skips, saying where it looked, without them."""
    from models.training.datasets import default_data_dir

    directory = default_data_dir()
    if not (directory / "raw").is_dir():
        pytest.skip(f"shared datasets not found at {directory} (set MODERATION_DATA_DIR)")
    return directory


@pytest.fixture(scope="session")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small models trained on the public data only."""
    from models.training.train import train

    directory = tmp_path_factory.mktemp("baseline")
    train(data_dir(), directory, sample=SAMPLE)
    return directory


@pytest.fixture(scope="session")
def candidate_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, plus the training share of the moderators' feedback."""
    from models.training.train import train

    directory = tmp_path_factory.mktemp("candidate")
    feedback = directory / "feedback.jsonl"
    feedback.write_text(
        "".join(json.dumps({"text": t, "labels": {"spam": y}}) + "\n" for t, y in TRAIN)
    )
    train(data_dir(), directory / "models", sample=SAMPLE, feedback=feedback)
    return directory / "models"


def add_comment(text: str, status: str, reasons: list[str], site: str = "blog") -> str:
    """A comment as the policy left it: scored, with its verdict in the audit log."""
    with db.transaction() as session:
        site_id = session.scalar(select(Site.id).where(Site.name == site))
        comment = Comment(site_id=site_id, name="Reader", text=text, email="r@example.org")
        session.add(comment)
        session.flush()
        record_verdict(session, comment.id, Verdict(status, reasons))
        return comment.id


def decide(
    client: Any,
    keys: Any,
    ids: list[str],
    action: str,
    who: str = "blog_moderator",
    labels: list[str] | None = None,
) -> None:
    body: dict[str, Any] = {"ids": ids, "action": action}
    if labels is not None:
        body["labels"] = labels
    response = client.post("/v1/review/decisions", json=body, headers=keys.headers(who))
    assert response.status_code == 200, response.json
    assert response.json["decided"] == ids


def moderate_stays(client: Any, keys: Any) -> None:
    """Moderators mark the brand's reviews spam and approve the others, oldest first."""
    for rows in (TRAIN, HOLDOUT):
        spam = [add_comment(t, "approved", []) for t, y in rows if y == 1]
        fine = [add_comment(t, "held", ["spam"]) for t, y in rows if y == 0]
        decide(client, keys, spam, "spam")
        decide(client, keys, fine, "approve")


def export(runner: Any, tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    out = tmp_path / "feedback.jsonl"
    result = runner.invoke(args=["feedback", "export", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.fixture
def registry(app: Any, baseline_dir: Path) -> Iterator[Any]:
    """The registry's baseline is the small baseline models; workers check it on every job."""
    from workers.context import WorkerContext, activate
    from workers.model_watch import ModelWatch

    app.config["MODELS_DIR"] = str(baseline_dir)
    context = WorkerContext(
        max_attempts=app.config["MAX_SCORE_ATTEMPTS"],
        secret_key=app.config["SECRET_KEY"],
        watch=ModelWatch(interval=0),
    )
    with app.app_context():
        context.load_models(str(baseline_dir))
    previous = activate(context)
    yield context
    if previous is not None:
        activate(previous)


def versions(name: str) -> dict[str, str]:
    with db.transaction() as session:
        rows = session.scalars(select(ModelVersion).where(ModelVersion.name == name))
        return {row.version: row.status for row in rows}


def events(name: str) -> list[tuple[str, str, str | None, bool]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(ModelEvent).where(ModelEvent.name == name).order_by(ModelEvent.id)
        )
        return [(e.action, e.version, e.previous_version, e.forced) for e in rows]


ALL_CLEAN = dict.fromkeys(
    ["spam", "toxicity", "severe_toxicity", "insult", "identity_attack", "threat", "profanity"], 0
)


def test_label_mapping_of_each_action() -> None:
    assert feedback_labels("spam", ["toxicity"]) == {"spam": 1}
    assert feedback_labels("not_spam", ["spam", "insult"]) == {"spam": 0}
    assert feedback_labels("approve", ["toxicity", "insult"]) == {"toxicity": 0, "insult": 0}
    assert feedback_labels("reject", ["threat", "banned_word"]) == {"threat": 1, "toxicity": 1}


def test_every_decision_gives_labels() -> None:
    # Approving a comment held without a model reason (or approved) is a clean example.
    for reasons in (["premoderation"], ["unscored"], ["banned_word"], [], None):
        assert feedback_labels("approve", reasons) == ALL_CLEAN, reasons
    # Rejecting one is missed abuse: what the moderator names, else toxicity.
    for reasons in (["premoderation"], ["unscored"], [], None):
        assert feedback_labels("reject", reasons) == {"toxicity": 1}, reasons
        assert feedback_labels("reject", reasons, ["threat"]) == {"threat": 1, "toxicity": 1}
    # Named labels win over the ones it was held for.
    assert feedback_labels("reject", ["insult"], ["identity_attack"]) == {
        "identity_attack": 1,
        "toxicity": 1,
    }


def test_spam_is_positive_only_from_a_spam_decision() -> None:
    # A hostile comment held partly for spam, rejected: hostile, spam unknown.
    assert feedback_labels("reject", ["spam", "insult"]) == {"insult": 1, "toxicity": 1}
    assert feedback_labels("reject", ["spam", "insult"], ["spam"]) == {"insult": 1, "toxicity": 1}
    # Held for spam alone and rejected without naming a label: no row.
    assert feedback_labels("reject", ["spam"]) == {}
    assert feedback_labels("reject", ["spam"], ["threat"]) == {"threat": 1, "toxicity": 1}
    assert all(
        feedback_labels(action, reasons).get("spam") != 1
        for action in ("approve", "reject", "not_spam")
        for reasons in (["spam"], ["spam", "toxicity"], [], ["premoderation"])
    )


def test_export_maps_latest_decisions_to_labels(
    client: Any, keys: Any, runner: Any, tmp_path: Path
) -> None:
    cases = {
        "false alarm": (add_comment("You are all wrong.", "held", ["toxicity", "insult"]),
                        ["approve"], {"toxicity": 0, "insult": 0}),
        "threat confirmed": (add_comment("I will find you.", "rejected", ["threat"]),
                             ["reject"], {"threat": 1, "toxicity": 1}),
        "spam missed": (add_comment("Cheap pills here.", "approved", []), ["spam"], {"spam": 1}),
        "not spam": (add_comment("See the report.", "held", ["spam"]), ["not_spam"], {"spam": 0}),
        "changed mind": (add_comment("Idiotic take.", "held", ["toxicity"]),
                         ["reject", "approve"], {"toxicity": 0}),
        "word list only": (add_comment("Banned thing.", "held", ["banned_word", "insult"]),
                           ["reject"], {"insult": 1, "toxicity": 1}),
        "hostile held partly for spam": (add_comment("Scum, buy pills.", "held",
                                                     ["spam", "insult"]),
                                         ["reject"], {"insult": 1, "toxicity": 1}),
        "missed abuse": (add_comment("Go back where you came from.", "approved", []),
                         ["reject"], {"toxicity": 1}),
        "unscored rejected": (add_comment("Nobody wants you here.", "held", ["unscored"]),
                              ["reject"], {"toxicity": 1}),
        "premoderated fine": (add_comment("Hello there.", "held", ["premoderation"]),
                              ["approve"], ALL_CLEAN),
    }  # fmt: skip
    named = add_comment("I know where you live.", "approved", [])
    held_for_spam = add_comment("Visit my page.", "held", ["spam"])
    shop = add_comment("Buy now at the shop.", "approved", [], site="shop")
    for comment_id, actions, _ in cases.values():
        for action in actions:
            decide(client, keys, [comment_id], action)
    decide(client, keys, [named], "reject", labels=["threat"])
    decide(client, keys, [held_for_spam], "reject")
    decide(client, keys, [shop], "spam", who="shop_moderator")

    rows = export(runner, tmp_path, "--split", "all")
    by_id = {row["comment_id"]: row for row in rows}
    assert held_for_spam not in by_id  # spam or not: only a spam decision says
    assert by_id[named]["labels"] == {"threat": 1, "toxicity": 1}
    for name, (comment_id, _, labels) in cases.items():
        assert by_id[comment_id]["labels"] == labels, name
    assert by_id[shop]["labels"] == {"spam": 1}
    row = by_id[cases["spam missed"][0]]
    assert row["text"] == "Cheap pills here." and row["source"] == "feedback"
    assert row["email"] == "r@example.org" and row["decided_at"]
    assert [
        r["comment_id"] for r in export(runner, tmp_path, "--split", "all", "--site", "shop")
    ] == [shop]

    # The same rows over HTTP: an admin sees every site, a site's moderator only theirs.
    admin = client.get("/v1/feedback?split=all", headers=keys.headers("admin"))
    assert admin.status_code == 200
    assert admin.json["items"] == rows
    mine = client.get("/v1/feedback?split=all", headers=keys.headers("shop_moderator"))
    assert [r["comment_id"] for r in mine.json["items"]] == [shop]
    assert client.get("/v1/feedback", headers=keys.headers("blog")).status_code == 403
    other = client.get("/v1/feedback?site=blog", headers=keys.headers("shop_moderator"))
    assert other.status_code == 404

    # The exported file is what training reads.
    from models.training.datasets import load_feedback

    export(runner, tmp_path, "--split", "all")
    loaded = list(load_feedback(tmp_path / "feedback.jsonl"))
    assert len(loaded) == len(rows) and all(ex.source == "feedback" for ex in loaded)


def test_held_out_share_is_never_exported_for_training(
    client: Any, keys: Any, runner: Any, tmp_path: Path
) -> None:
    moderate_stays(client, keys)
    train_rows = export(runner, tmp_path)
    holdout_rows = export(runner, tmp_path, "--split", "holdout")
    assert sorted(r["text"] for r in train_rows) == sorted(t for t, _ in TRAIN)
    assert sorted(r["text"] for r in holdout_rows) == sorted(t for t, _ in HOLDOUT)

    # Pages over HTTP add up to the same rows, in the same order.
    seen, url = [], "/v1/feedback?limit=30"
    while url:
        page = client.get(url, headers=keys.headers("admin")).json
        seen += page["items"]
        url = f"/v1/feedback?limit=30&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == train_rows
    bad = client.get("/v1/feedback?cursor=nonsense", headers=keys.headers("admin"))
    assert bad.status_code == 422


@pytest.mark.slow  # trains two small models once per session
def test_register_stores_metrics_on_held_out_feedback(
    client: Any, keys: Any, runner: Any, registry: Any, baseline_dir: Path, candidate_dir: Path
) -> None:
    moderate_stays(client, keys)
    assert set(versions("spam").values()) == {"active"}  # the baseline, adopted on first use

    result = runner.invoke(args=["models", "register", str(candidate_dir)])
    assert result.exit_code == 0, result.output
    registered = {r["name"]: r for r in map(json.loads, result.output.splitlines())}
    assert set(registered) == {"spam", "toxicity"}
    spam = registered["spam"]
    assert spam["status"] == "candidate" and spam["created_by"].startswith("cli:")
    assert spam["holdout"]["rows"] == len(HOLDOUT)
    assert spam["holdout"]["score"] > spam["holdout"]["active_score"]

    with db.transaction() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == spam["version"]))
        metrics = row.metrics["holdout"]
        assert metrics["candidate"]["labels"]["spam"]["n"] == len(HOLDOUT)
        assert row.data_sources and row.thresholds["spam"] > 0
        assert len(row.artifact) == row.size
    assert versions("spam")[metrics["active"]["version"]] == "active"
    # Registering the same files again adds nothing.
    again = runner.invoke(args=["models", "register", str(candidate_dir)])
    assert json.loads(again.output.splitlines()[0])["version"] in versions("spam")
    assert len(versions("spam")) == 2
    listed = runner.invoke(args=["models", "list"])
    assert spam["version"] in listed.output and "candidate" in listed.output


def promote(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["models", "promote", *args])


@pytest.mark.slow  # trains two small models once per session
def test_promotion_is_refused_when_worse_unless_forced(
    client: Any, keys: Any, runner: Any, registry: Any, candidate_dir: Path
) -> None:
    moderate_stays(client, keys)
    baseline = next(iter(versions("spam")))
    registered = runner.invoke(args=["models", "register", str(candidate_dir)])
    candidate = json.loads(registered.output.splitlines()[0])["version"]

    # On one site's held-out decisions: the shop has none, so nothing can tell.
    by_site = promote(runner, "spam", candidate, "--site", "shop")
    assert by_site.exit_code != 0 and "0 rows judge spam" in by_site.output
    assert "no site named" in promote(runner, "spam", candidate, "--site", "nosuch").output
    assert promote(runner, "spam", candidate, "--site", "blog").exit_code == 0
    assert versions("spam") == {baseline: "retired", candidate: "active"}
    # Now the baseline is the challenger, and it does worse on the held-out feedback.
    refused = promote(runner, "spam", baseline)
    assert refused.exit_code != 0 and "worse than the active" in refused.output
    assert "spam AUC" in refused.output and "95% CI" in refused.output
    assert versions("spam")[candidate] == "active"
    # A toxicity candidate cannot be judged: no held-out row has a toxicity label.
    toxicity = [v for v, s in versions("toxicity").items() if s == "candidate"]
    unjudged = promote(runner, "toxicity", toxicity[0])
    assert unjudged.exit_code != 0 and "too few held-out decisions" in unjudged.output
    assert "at least 20 of each" in unjudged.output

    forced = promote(runner, "spam", baseline, "--force")
    assert forced.exit_code == 0
    assert versions("spam")[baseline] == "active"
    assert events("spam")[-2:] == [
        ("promote", candidate, baseline, False),
        ("promote", baseline, candidate, True),
    ]
    with db.transaction() as session:
        promotions = session.scalars(
            select(ModelEvent).where(ModelEvent.name == "spam", ModelEvent.action == "promote")
        ).all()
        # The gate's comparison is recorded with each promotion, and the refusal --force overrode.
        assert promotions[-2].evaluation["refused"] is None
        assert promotions[-2].evaluation["gate"]["labels"]["spam"]["ci"][0] > 0
        assert "worse" in promotions[-1].evaluation["refused"]
    assert promote(runner, "spam", baseline).exit_code != 0  # already active
    assert promote(runner, "spam", "no-such-version").exit_code != 0


def submit_and_score(client: Any, keys: Any, redis_url: str, text: str) -> dict[str, Any]:
    response = client.post("/v1/comments", json={"name": "Reader", "text": text},
                           headers=keys.headers("blog"))  # fmt: skip
    assert response.status_code == 202
    connection = Redis.from_url(redis_url)
    worker = SimpleWorker(
        [get_queue(connection, SCORE_QUEUE)], connection=connection, serializer=JSONSerializer
    )
    worker.work(burst=True)
    return client.get(f"/v1/comments/{response.json['id']}", headers=keys.headers("blog")).json


@pytest.mark.slow  # trains two small models once per session
def test_worker_switches_to_promoted_version_without_restart_and_back_on_rollback(
    client: Any, keys: Any, runner: Any, registry: Any, redis_url: str, candidate_dir: Path
) -> None:
    moderate_stays(client, keys)
    baseline = next(iter(versions("spam")))
    text = "We stayed at Glimmerstone lodge near the pier for 3 nights and it was great."
    before = submit_and_score(client, keys, redis_url, text)
    assert before["model_versions"]["spam"] == baseline

    registered = runner.invoke(args=["models", "register", str(candidate_dir)])
    candidate = json.loads(registered.output.splitlines()[0])["version"]
    assert promote(runner, "spam", candidate).exit_code == 0
    scorer_in_hand = registry.scorer
    after = submit_and_score(client, keys, redis_url, text)
    assert registry.scorer is not scorer_in_hand  # the same process loaded the new version
    assert after["model_versions"]["spam"] == candidate
    assert after["scores"]["spam"] > before["scores"]["spam"]
    with db.transaction() as session:
        stored = session.scalar(
            select(Score.model_version).where(
                Score.comment_id == after["id"], Score.label == "spam"
            )
        )
    assert stored == candidate  # the history shows which version decided

    rolled = runner.invoke(args=["models", "rollback", "spam"])
    assert rolled.exit_code == 0, rolled.output
    assert versions("spam") == {baseline: "active", candidate: "retired"}
    assert events("spam")[-1][:3] == ("rollback", baseline, candidate)
    history = runner.invoke(args=["models", "history", "spam"]).output.splitlines()
    assert [line.split("\t")[2] for line in history] == [
        "register",
        "baseline",
        "register",
        "promote",
        "rollback",
    ]
    again = submit_and_score(client, keys, redis_url, text + " Truly.")
    assert again["model_versions"]["spam"] == baseline
    # The baseline was never promoted over anything: nothing further back to return to.
    assert runner.invoke(args=["models", "rollback", "spam"]).exit_code != 0
