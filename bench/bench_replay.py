"""Replay a labelled comment stream through the service and measure what learning changes.

One site, one public source read in a fixed shuffled order (the stream). Its comments are posted
through the real ``/v1`` API with a site key and scored by a real RQ worker (in this process,
with the registry's models); simulated moderators then decide, through the real decision API,
what the service held (approve the fine ones, reject the abusive ones naming the source's
labels) and reject a share of the approved abusive ones, as readers' reports would surface them,
until ``--decisions`` decisions. Then the learning workflow runs with the real commands
(``models train-layer``, ``models register``, ``models promote``: the gate decides), and the
stream's next ``--future`` comments (never decided, never trained on) are posted to the site and
to a second site with no decisions: the second gives the shipped verdicts, the first the learned
ones, paired comment by comment (``models.evaluate.replay``).

    .venv/bin/python bench/bench_replay.py --source kaggle-insults --out var/replay/kaggle.json

Prints the markdown table; ``--out`` also writes every figure as JSON (and ``.md`` beside it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from redis import Redis  # noqa: E402
from rq import SimpleWorker  # noqa: E402
from rq.serializers import JSONSerializer  # noqa: E402
from sqlalchemy import select  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.cli.embedded import EmbeddedRedis  # noqa: E402
from moderation.keys import create_key  # noqa: E402
from moderation.migrations import upgrade  # noqa: E402
from moderation.queue import SCORE_QUEUE, get_queue  # noqa: E402
from moderation.storage import Comment, CommentStatus, Role, Site, db  # noqa: E402

logger = logging.getLogger("bench.replay")

SOURCES = ("kaggle-insults", "civil-comments-toxic-spans", "trac1-facebook-aggression")
SITE, QUIET = "site", "quiet"
CHUNK = 100
MAX_TEXT = 10_000


def stream(source: str, seed: int, data_dir: Path | None) -> list[dict[str, Any]]:
    """The source's rows with a toxicity label, deduplicated, in a fixed shuffled order."""
    from models.training.datasets import SOURCES as RECORDS
    from models.training.datasets import dedupe_key, default_data_dir

    seen: set[str] = set()
    rows = []
    for example in RECORDS[source].load(data_dir or default_data_dir()):
        key = dedupe_key(example.text)
        if "toxicity" not in example.labels or key in seen or not example.text.strip():
            continue
        seen.add(key)
        rows.append({"text": example.text[:MAX_TEXT], "labels": dict(example.labels)})
    random.Random(seed).shuffle(rows)
    return rows


class Service:
    """A fresh service on SQLite and an embedded Redis, two sites and a real worker."""

    def __init__(self, state: Path, redis_url: str) -> None:
        from workers.context import WorkerContext, activate
        from workers.model_watch import ModelWatch

        database = f"sqlite:///{state / 'moderation.db'}"
        upgrade(database)
        self.app = create_app(
            {
                "ENV": "testing",
                "TESTING": True,
                "DATABASE_URL": database,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "replay-" + "x" * 40,
                "STATE_DIR": str(state),
                "RATE_LIMIT_ENABLED": False,
            }
        )
        self.client = self.app.test_client()
        self.runner = self.app.test_cli_runner()
        self.redis = Redis.from_url(redis_url)
        self.keys: dict[str, str] = {}
        with db.transaction() as session:
            for name in (SITE, QUIET):
                site = Site(name=name, origins=["https://news.example"])
                session.add(site)
                session.flush()
                self.keys[name] = create_key(session, Role.SUBMIT, site)[1]
                self.keys[f"{name}-moderator"] = create_key(session, Role.MODERATE, site)[1]
        # The worker checks the registry before every job (a promoted layer shows at once).
        self.context = WorkerContext(
            max_attempts=self.app.config["MAX_SCORE_ATTEMPTS"],
            secret_key=self.app.config["SECRET_KEY"],
            watch=ModelWatch(interval=0),
        )
        with self.app.app_context():
            self.context.load_models(None)
        activate(self.context)
        self.posted = 0

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[key]}"}

    def post(self, site: str, rows: list[dict[str, Any]]) -> list[str]:
        """Post comments (202, pending), then let the worker score them all; their ids."""
        ids = []
        for row in rows:
            self.posted += 1
            body = {"text": row["text"], "name": "Reader", "client_id": f"c{self.posted}"}
            response = self.client.post("/v1/comments", json=body, headers=self.headers(site))
            assert response.status_code in (200, 202), response.json
            ids.append(response.json["id"])
        queue = get_queue(self.redis, SCORE_QUEUE)
        SimpleWorker([queue], connection=self.redis, serializer=JSONSerializer).work(
            burst=True, logging_level="WARNING"
        )
        return ids

    def verdicts(self, ids: list[str]) -> dict[str, Comment]:
        with db.transaction() as session:
            found = session.scalars(select(Comment).where(Comment.id.in_(ids))).all()
            session.expunge_all()
        return {comment.id: comment for comment in found}

    def decide(self, ids: list[str], action: str, labels: list[str] | None = None) -> None:
        if not ids:
            return
        body: dict[str, Any] = {"ids": ids, "action": action}
        if labels:
            body["labels"] = labels
        response = self.client.post(
            "/v1/review/decisions", json=body, headers=self.headers(f"{SITE}-moderator")
        )
        assert response.status_code == 200, response.json

    def cli(self, *args: str) -> Any:
        result = self.runner.invoke(args=list(args))
        return result


def named(labels: dict[str, int]) -> list[str]:
    return sorted(k for k, v in labels.items() if v == 1)


def moderate(
    service: Service,
    rows: list[dict[str, Any]],
    ids: list[str],
    budget: int,
    report_share: float,
    rng: random.Random,
) -> dict[str, int]:
    """Simulated moderators decide, in stream order, until ``budget`` decisions: held comments by
    their true label, approved abusive ones when a reader's report surfaces them."""
    found = service.verdicts(ids)
    approve: list[str] = []
    reject: dict[tuple[str, ...], list[str]] = {}
    counts = {"approve": 0, "reject": 0, "reported": 0}
    for row, comment_id in zip(rows, ids, strict=True):
        if sum(counts.values()) >= budget:
            break
        status = found[comment_id].status
        abusive = row["labels"].get("toxicity") == 1
        if status == CommentStatus.HELD and not abusive:
            approve.append(comment_id)
            counts["approve"] += 1
        elif status == CommentStatus.HELD or (
            status == CommentStatus.APPROVED and abusive and rng.random() < report_share
        ):
            reject.setdefault(tuple(named(row["labels"])), []).append(comment_id)
            counts["reject" if status == CommentStatus.HELD else "reported"] += 1
    service.decide(approve, "approve")
    for labels, chosen in reject.items():
        service.decide(chosen, "reject", list(labels))
    return counts


def held(status: str) -> bool:
    return status in (CommentStatus.HELD, CommentStatus.REJECTED)


def replay(
    source: str,
    decisions: int = 500,
    future: int = 2000,
    report_share: float = 0.3,
    seed: int = 0,
    data_dir: Path | None = None,
    rows: list[dict[str, Any]] | None = None,
    tell: bool = False,
) -> dict[str, Any]:
    """One replay (see the module docstring); every figure, as JSON-ready data."""
    from models.evaluate.replay import compare_future, meets_target

    started = time.monotonic()
    rows = rows if rows is not None else stream(source, seed, data_dir)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="replay-") as folder:
        state = Path(folder)
        with EmbeddedRedis(state / "redis", persist=False) as redis_server:
            service = Service(state, redis_server.url)
            made = {"approve": 0, "reject": 0, "reported": 0}
            position = 0
            while sum(made.values()) < decisions and position < len(rows) - future:
                chunk = rows[position : min(position + CHUNK, len(rows) - future)]
                ids = service.post(SITE, chunk)
                left = decisions - sum(made.values())
                for key, value in moderate(service, chunk, ids, left, report_share, rng).items():
                    made[key] += value
                position += len(chunk)
            logger.info("%s: %d comments gave %s", source, position, made)
            learning = learn(service, state / "layer", report_share if tell else None)
            ahead = rows[position : position + future]
            learned_ids = service.post(SITE, ahead)
            shipped_ids = service.post(QUIET, ahead)
            learned, shipped = service.verdicts(learned_ids), service.verdicts(shipped_ids)
            quiet = unaffected(service, ahead, [shipped[i] for i in shipped_ids])
            layer_named = sum(
                any(k.startswith("site-layer/") for k in (learned[i].model_versions or {}))
                for i in learned_ids
            )
            figures = compare_future(
                [row["labels"]["toxicity"] for row in ahead],
                [shipped[i].scores.get("toxicity", 0.0) for i in shipped_ids],
                [learned[i].scores.get("toxicity", 0.0) for i in learned_ids],
                [held(shipped[i].status) for i in shipped_ids],
                [held(learned[i].status) for i in learned_ids],
                seed=seed,
            )
    result = {
        "source": source,
        "seed": seed,
        "stream": len(rows),
        "past_comments": position,
        "decisions": made,
        "report_share": report_share,
        "layer_told_report_share": tell,
        "learning": learning,
        "future": figures,
        "comments_naming_the_layer": layer_named,
        "quiet_site_unaffected": quiet,
        "target_met": meets_target(figures),
        "seconds": round(time.monotonic() - started, 1),
    }
    return result


def learn(service: Service, out: Path, told: float | None) -> dict[str, Any]:
    """The learning workflow with the real commands: train the layer, register, promote."""
    args = ["--report-share", str(told)] if told else []
    trained = service.cli("models", "train-layer", SITE, "--out", str(out), *args)
    if trained.exit_code != 0:
        return {"trained": False, "error": trained.output.strip()}
    entry = json.loads(trained.output.strip().splitlines()[-1])
    registered = service.cli("models", "register", str(out))
    assert registered.exit_code == 0, registered.output
    version = json.loads(registered.output.strip().splitlines()[-1])["version"]
    promoted = service.cli("models", "promote", f"site-layer/{SITE}", version)
    result: dict[str, Any] = {
        "trained": True,
        "version": version,
        "labels": entry["labels"],
        "thresholds": entry["thresholds"],
        "training": entry["training"],
        "out_of_fold": entry["metrics"]["out_of_fold"],
        "promoted": promoted.exit_code == 0,
    }
    if promoted.exit_code == 0:
        evaluation = json.loads(promoted.output.strip().splitlines()[-1])
        result["gate"] = {
            "rows": evaluation["gate"]["rows"],
            "fine": evaluation["gate"]["fine"],
            "abusive": evaluation["gate"]["abusive"],
            "verdict": evaluation["gate"]["verdict"],
            "toxicity": evaluation["gate"]["labels"]["toxicity"],
        }
    else:
        result["refused"] = promoted.output.strip()
    return result


def unaffected(service: Service, rows: list[dict[str, Any]], comments: list[Comment]) -> bool:
    """Whether the site without decisions got exactly the base models' scores (routed by
    language as the worker routes them, one comment at a time) and no layer named."""
    from models.language import route

    base = service.context.scorer
    assert base is not None
    for row, comment in zip(rows, comments, strict=True):
        if any(name.startswith("site-layer/") for name in comment.model_versions or {}):
            return False
        scorer = route(row["text"], base).scorer
        if (
            scorer is not None
            and comment.scores != scorer.score([{"text": row["text"], "name": "Reader"}])[0]
        ):
            logger.warning("the site without decisions scored %r differently", row["text"][:60])
            return False
    return True


def main() -> None:
    from models.evaluate.replay import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", action="append", choices=SOURCES, help="(repeatable)")
    parser.add_argument("--decisions", type=int, default=500)
    parser.add_argument("--future", type=int, default=2000)
    parser.add_argument("--report-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tell-report-share",
        action="store_true",
        help="Train the layer knowing the simulated report share (train-layer --report-share)",
    )
    parser.add_argument("--out", type=Path, help="JSON file for every figure (and .md beside)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("rq", "workers", "moderation", "models"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("MODERATION_LOG_LEVEL", "WARNING")
    results = []
    for source in args.source or SOURCES:
        result = replay(
            source,
            args.decisions,
            args.future,
            args.report_share,
            args.seed,
            tell=args.tell_report_share,
        )
        logger.info("%s", json.dumps(result, indent=1))
        results.append(result)
    table = markdown_table(results)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        args.out.with_suffix(".md").write_text(table, "utf-8")


if __name__ == "__main__":
    main()
