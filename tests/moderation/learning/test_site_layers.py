"""Per-site layers in the registry and the worker: trained on one site's decisions, judged on its
held-out ones, applied to its comments only (moderation.learning.site_layers, workers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from moderation.decisions import record_verdict
from moderation.policy import Verdict, decide
from moderation.storage import Comment, ModelVersion, Site, db

TOPICS = ("the match", "the council vote", "the new bridge", "the budget", "the striker")


def add_comment(text: str, status: str, reasons: list[str]) -> str:
    """A comment of site ``blog`` as the policy left it, with its verdict in the audit log."""
    with db.transaction() as session:
        site_id = session.scalar(select(Site.id).where(Site.name == "blog"))
        comment = Comment(site_id=site_id, name="Reader", text=text)
        session.add(comment)
        session.flush()
        record_verdict(session, comment.id, Verdict(status, reasons))
        return comment.id


def moderate(client: Any, keys: Any, pairs: int) -> None:
    """Blog's moderators approve "gorbly" comments held for toxicity and reject "zorblat" ones,
    held (insulting too: the base catches them) or missed, one of each in turn (so the held-out
    share has both)."""
    headers = keys.headers("blog_moderator")
    for i in range(pairs):
        topic = TOPICS[i % len(TOPICS)]
        fine = add_comment(f"About {topic}: a gorbly take, {i}", "held", ["toxicity"])
        if i % 2:
            abusive = add_comment(
                f"About {topic}: a zorblat take, you idiot {i}", "held", ["insult"]
            )
        else:
            abusive = add_comment(f"About {topic}: a zorblat take, {i}", "approved", [])
        for ids, action in (([fine], "approve"), ([abusive], "reject")):
            response = client.post(
                "/v1/review/decisions", json={"ids": ids, "action": action}, headers=headers
            )
            assert response.status_code == 200, response.json


def cli(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=list(args))
    return result


def train_and_register(runner: Any, out: Path) -> str:
    trained = cli(runner, "models", "train-layer", "blog", "--out", str(out))
    assert trained.exit_code == 0, trained.output
    registered = cli(runner, "models", "register", str(out))
    assert registered.exit_code == 0, registered.output
    info = json.loads(registered.output.strip().splitlines()[-1])
    assert info["name"].startswith("site-layer/") and info["status"] == "candidate"
    return str(info["version"])


def post(client: Any, keys: Any, site: str, text: str) -> str:
    response = client.post(
        "/v1/comments", json={"text": text, "name": "R"}, headers=keys.headers(site)
    )
    assert response.status_code == 202, response.json
    return str(response.json["id"])


def test_a_site_layer_changes_its_site_only_and_the_gate_judges_it(
    app: Any, client: Any, keys: Any, runner: Any, scorer: Any, work: Any, tmp_path: Path
) -> None:
    moderate(client, keys, 120)
    first = train_and_register(runner, tmp_path / "first")
    promoted = cli(runner, "models", "promote", "site-layer/blog", first)
    assert promoted.exit_code == 0, promoted.output
    evaluation = json.loads(promoted.output.strip().splitlines()[-1])
    assert evaluation["active"]["version"].startswith("base")  # judged against the base alone
    assert evaluation["refused"] is None
    assert evaluation["gate"]["labels"]["toxicity"]["ci"][0] > 0  # it ranks them better

    text = "About the budget: a zorblat take."
    mine, theirs = post(client, keys, "blog", text), post(client, keys, "shop", text)
    work()
    with db.transaction() as session:
        blog, shop = session.get_one(Comment, mine), session.get_one(Comment, theirs)
        layer = session.scalar(select(ModelVersion.name).where(ModelVersion.version == first))
        blog_scores, blog_versions = blog.scores, blog.model_versions
        shop_scores, shop_versions, shop_status = shop.scores, shop.model_versions, shop.status
    # Blog: the layer scored its toxicity, with its thresholds, and is named.
    assert blog_versions[layer] == first
    assert blog_scores["toxicity"] > shop_scores["toxicity"]
    assert {k: v for k, v in blog_scores.items() if k != "toxicity"} == {
        k: v for k, v in shop_scores.items() if k != "toxicity"
    }
    # Shop, with no decisions: exactly the base's scores and verdict, no layer named.
    base = scorer.score([{"text": text, "name": "R"}])[0]
    assert shop_scores == base
    assert not any(name.startswith("site-layer/") for name in shop_versions)
    assert shop_status == decide(base, None, scorer.thresholds, text=text).status

    # The same decisions again: a candidate no better than the active layer is refused.
    second = train_and_register(runner, tmp_path / "second")
    refused = cli(runner, "models", "promote", "site-layer/blog", second)
    assert refused.exit_code != 0 and "not measurably better" in refused.output
    # Rolled back, the site's first layer leaves it to the base alone.
    rolled = cli(runner, "models", "rollback", "site-layer/blog")
    assert rolled.exit_code == 0 and json.loads(rolled.output)["active"]["version"] is None
    history = cli(runner, "models", "history", "site-layer/blog")
    assert f"promote\t{first}" in history.output
    assert f"rollback\tbase (was {first})" in history.output


def test_too_few_held_out_decisions_refuse_a_layer(
    app: Any, client: Any, keys: Any, runner: Any, tmp_path: Path
) -> None:
    moderate(client, keys, 50)  # 100 decisions: 80 to learn from, 20 held out (10 and 10)
    version = train_and_register(runner, tmp_path / "layer")
    refused = cli(runner, "models", "promote", "site-layer/blog", version)
    assert refused.exit_code != 0
    assert "too few held-out decisions" in refused.output and "at least 20" in refused.output


def test_too_few_decisions_to_train_say_how_many(
    app: Any, client: Any, keys: Any, runner: Any, tmp_path: Path
) -> None:
    moderate(client, keys, 10)
    result = cli(runner, "models", "train-layer", "blog", "--out", str(tmp_path / "layer"))
    assert result.exit_code != 0 and "at least 20 of each" in result.output
