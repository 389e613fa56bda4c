"""Fault tolerance: break the real processes and count that nothing acknowledged is lost or doubled.

Each process test starts its own Redis (and, for the database outage, its own PostgreSQL cluster),
the API under gunicorn and workers (``tests/system/processes.py``), submits comments over HTTP with
an ``Idempotency-Key`` each, breaks something for real, and then checks the ledger in the
database: every comment that got a 2xx is stored and decided, there is one policy decision per
comment, one score row per label and model version, and no comment is stored twice.

Idempotent submission and idempotent jobs are checked in-process with the ``client`` and ``work``
fixtures: they need no process to die.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from models.labels import LABELS
from moderation.keys import create_key
from moderation.migrations import upgrade
from moderation.queue import SCORE_QUEUE, enqueue_score, get_queue
from moderation.storage import (
    Actor,
    Comment,
    CommentStatus,
    Database,
    Decision,
    Role,
    Score,
    Site,
    db,
)
from tests.system.poison import HOOK as POISON_HOOK
from tests.system.processes import (
    Api,
    PostgresCluster,
    RedisServer,
    Service,
    sqlite_url,
    wait_until,
)

POISON = "poison-7f3a"


# -- the ledger: what was acknowledged, what is stored -------------------------------------------


@dataclass
class Submission:
    """One comment as the client sees it: its key, text and every answer it got."""

    key: str
    text: str
    answers: list[tuple[int, dict[str, str], dict[str, Any] | None]] = field(default_factory=list)

    @property
    def acknowledged_id(self) -> str | None:
        for status, _, body in self.answers:
            if 200 <= status < 300 and body is not None:
                return str(body["id"])
        return None


class Client:
    """Posts comments to a running API, each with its own Idempotency-Key, from a few threads."""

    def __init__(self, api: Api, site_key: str, label: str) -> None:
        self.url = f"{api.url}/v1/comments"
        self.headers = {"Authorization": f"Bearer {site_key}"}
        self.label = label
        self.submissions: list[Submission] = []
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def new(self) -> Submission:
        number = len(self.submissions)
        submission = Submission(
            key=f"{self.label}-{number}-{uuid.uuid4().hex[:8]}",
            text=f"Comment {number} of the {self.label} run: thanks, the charts were clear.",
        )
        self.submissions.append(submission)
        return submission

    def post(self, submission: Submission) -> int:
        response = self.session().post(
            self.url,
            json={"name": "Reader", "text": submission.text},
            headers={**self.headers, "Idempotency-Key": submission.key},
            timeout=30,
        )
        body = response.json() if response.content else None
        submission.answers.append((response.status_code, dict(response.headers), body))
        return response.status_code

    def submit(self, count: int, threads: int = 4, pause: float = 0.0) -> list[Submission]:
        """Post ``count`` new comments once each; ``pause`` seconds between posts per thread."""
        batch = [self.new() for _ in range(count)]

        def send(submission: Submission) -> None:
            self.post(submission)
            time.sleep(pause)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(send, batch))
        return batch

    def acknowledged(self) -> dict[str, str]:
        """Idempotency key -> comment id, for every submission that got a 2xx."""
        return {s.key: s.acknowledged_id for s in self.submissions if s.acknowledged_id is not None}

    def statuses(self) -> Counter[int]:
        return Counter(status for s in self.submissions for status, _, _ in s.answers)


@dataclass
class Ledger:
    """What the database holds for one site's comments."""

    comments: dict[str, tuple[str | None, str, list[str], str]]  # id -> key, status, reasons, text
    policy_decisions: Counter[str]
    scores: Counter[tuple[str, str, str]]  # (comment id, label, model version) -> rows

    @classmethod
    def read(cls, database_url: str, site: str) -> Ledger:
        database = Database(database_url)
        try:
            with database.transaction() as session:
                rows = session.execute(
                    select(
                        Comment.id,
                        Comment.idempotency_key,
                        Comment.status,
                        Comment.reasons,
                        Comment.text,
                    )
                    .join(Site)
                    .where(Site.name == site)
                ).all()
                ids = [row.id for row in rows]
                decisions = session.execute(
                    select(Decision.comment_id, func.count())
                    .where(Decision.comment_id.in_(ids), Decision.actor == Actor.POLICY.value)
                    .group_by(Decision.comment_id)
                ).all()
                scores = session.execute(
                    select(Score.comment_id, Score.label, Score.model_version, func.count())
                    .where(Score.comment_id.in_(ids))
                    .group_by(Score.comment_id, Score.label, Score.model_version)
                ).all()
        finally:
            assert database.engine is not None
            database.engine.dispose()
        return cls(
            comments={r.id: (r.idempotency_key, r.status, list(r.reasons), r.text) for r in rows},
            policy_decisions=Counter({comment_id: n for comment_id, n in decisions}),
            scores=Counter({(c, label, version): n for c, label, version, n in scores}),
        )

    def pending(self) -> int:
        return sum(
            status == CommentStatus.PENDING.value for _, status, _, _ in self.comments.values()
        )

    def decided(self) -> int:
        return len(self.comments) - self.pending()


def settle(database_url: str, site: str, acknowledged: dict[str, str], timeout: float) -> Ledger:
    """Wait until every acknowledged comment has left ``pending``; the ledger then."""
    deadline = time.monotonic() + timeout
    while True:
        ledger = Ledger.read(database_url, site)
        waiting = [
            i
            for i in acknowledged.values()
            if ledger.comments.get(i, (None, CommentStatus.PENDING.value))[1]
            == CommentStatus.PENDING.value
        ]
        if not waiting or time.monotonic() > deadline:
            return ledger
        time.sleep(0.25)


def assert_nothing_lost_or_doubled(
    ledger: Ledger, client: Client, service: Service, *, scored: bool = True
) -> None:
    """Every 2xx is stored and decided, once; with ``scored``, by the models, not fail-closed."""
    acknowledged = client.acknowledged()
    logs = service.logs()
    lost = [i for i in acknowledged.values() if i not in ledger.comments]
    assert not lost, f"{len(lost)} acknowledged comments are not stored\n{logs}"
    undecided = [
        i for i in acknowledged.values() if ledger.comments[i][1] == CommentStatus.PENDING.value
    ]
    assert not undecided, f"{len(undecided)} of {len(acknowledged)} still pending\n{logs}"
    # Retries of one submission (same key) answer with the same comment ...
    for submission in client.submissions:
        ids = {body["id"] for status, _, body in submission.answers if 200 <= status < 300}
        assert len(ids) <= 1, f"{submission.key} got two comments: {ids}"
    # ... and nothing is stored twice, nor anything the client never sent.
    texts = Counter(text for _, _, _, text in ledger.comments.values())
    assert max(texts.values()) == 1, texts.most_common(3)
    assert {key for key, _, _, _ in ledger.comments.values()} <= {s.key for s in client.submissions}
    # One verdict per comment, one score row per label and model version.
    for comment_id in acknowledged.values():
        assert ledger.policy_decisions[comment_id] == 1, comment_id
    assert max(ledger.scores.values(), default=1) == 1
    if scored:
        for comment_id in acknowledged.values():
            reasons = ledger.comments[comment_id][2]
            labels = {label for (c, label, _), _ in ledger.scores.items() if c == comment_id}
            assert "unscored" not in reasons and labels == set(LABELS), (comment_id, reasons)


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Everything a test starts is stopped here, in reverse order, whatever happened."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def process_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database for the processes: SQLite, or a fresh one on the test PostgreSQL."""
    import os

    from tests.conftest import drop_postgres_database, fresh_postgres_database

    admin_url = os.environ.get("MODERATION_TEST_DATABASE_URL")
    if not admin_url:
        yield sqlite_url(tmp_path)
        return
    url = fresh_postgres_database(admin_url)
    upgrade(url)
    yield url
    drop_postgres_database(admin_url, url)


def make_site(database_url: str, name: str) -> str:
    """A site and its submit key (the command line is tested end to end elsewhere)."""
    database = Database(database_url)
    try:
        with database.transaction() as session:
            site = Site(name=name, origins=[])
            session.add(site)
            session.flush()
            _, key = create_key(session, Role.SUBMIT, site)
    finally:
        assert database.engine is not None
        database.engine.dispose()
    return key


def start_service(
    stack: ExitStack, directory: Path, database_url: str, redis: RedisServer, **settings: Any
) -> tuple[Service, Api]:
    service = stack.enter_context(Service(directory, database_url, redis.url, **settings))
    api = service.api(wait=False)
    service.worker()
    api.wait()
    return service, api


# -- fault injection with real processes ----------------------------------------------------------


@pytest.mark.slow
def test_worker_killed_with_200_comments_in_flight_loses_none(
    stack: ExitStack, tmp_path: Path, process_database: str
) -> None:
    redis = stack.enter_context(RedisServer(tmp_path / "redis"))
    service = stack.enter_context(Service(tmp_path, process_database, redis.url))
    client = Client(service.api(), make_site(process_database, "blog"), "kill")
    client.submit(300)
    assert client.statuses() == {202: 300}

    doomed = service.worker(wait=False)
    database = Database(process_database)
    stack.callback(lambda: database.engine and database.engine.dispose())
    decided = select(func.count()).where(Comment.status != CommentStatus.PENDING.value)
    deadline = time.monotonic() + 90
    while database.session().scalar(decided) < 5:  # kill as soon as the worker is under way
        assert doomed.child.alive and time.monotonic() < deadline, service.logs()
        database.remove()
        time.sleep(0.005)
    doomed.child.kill(group=False)  # kill -9 the worker process, mid-backlog
    assert not doomed.child.group_alive, "the killed worker left a process behind"
    in_flight = Ledger.read(process_database, "blog").pending()
    assert in_flight >= 200, in_flight
    # Submissions go on while no worker runs; a new worker (and its sweeper) finishes them all.
    client.submit(50)
    service.worker()
    ledger = settle(process_database, "blog", client.acknowledged(), timeout=60)
    assert len(client.acknowledged()) == 350
    assert_nothing_lost_or_doubled(ledger, client, service)


@pytest.mark.slow
def test_redis_stopped_during_submission_and_restarted_empty_loses_none(
    stack: ExitStack, tmp_path: Path, process_database: str
) -> None:
    redis = stack.enter_context(RedisServer(tmp_path / "redis"))
    service, api = start_service(stack, tmp_path, process_database, redis)
    client = Client(api, make_site(process_database, "blog"), "redis")
    client.submit(60)

    redis.stop()
    during = client.submit(60, pause=0.01)
    redis.start()  # same port, empty: the queued ids are gone, the sweeper must bring them back
    client.submit(60)

    assert client.statuses() == {202: 180}, "the API must accept comments while Redis is down"
    assert all(s.answers[0][0] == 202 for s in during)
    ledger = settle(process_database, "blog", client.acknowledged(), timeout=60)
    assert_nothing_lost_or_doubled(ledger, client, service)


@pytest.mark.slow
def test_postgres_stopped_during_submission_gives_503_and_recovers_without_restart(
    stack: ExitStack, tmp_path: Path
) -> None:
    postgres = stack.enter_context(PostgresCluster())
    upgrade(postgres.url)
    redis = stack.enter_context(RedisServer(tmp_path / "redis"))
    service, api = start_service(stack, tmp_path, postgres.url, redis)
    client = Client(api, make_site(postgres.url, "blog"), "postgres")
    api_pid = api.child.pid

    comments = [client.new() for _ in range(150)]
    recovered = threading.Event()
    deadline = time.monotonic() + 120

    def submit_until_acknowledged(submission: Submission) -> None:
        # A real client retries after Retry-After; 0.2 s here keeps the test short.
        while client.post(submission) == 503 and time.monotonic() < deadline:
            time.sleep(0.2)

    def outage_after_50() -> None:
        try:
            wait_until(lambda: len(client.acknowledged()) >= 50, "first comments", 60)
            postgres.stop("fast")
            time.sleep(2)
            postgres.start()
        finally:
            recovered.set()

    with ThreadPoolExecutor(1) as breaker, ThreadPoolExecutor(4) as pool:
        outage = breaker.submit(outage_after_50)
        sent = []
        for index, submission in enumerate(comments):
            # Keep submitting through the outage, not only before and after it.
            sent.append(pool.submit(submit_until_acknowledged, submission))
            if index >= 60 and not recovered.is_set():
                time.sleep(0.02)
        outage.result()
        for future in sent:
            future.result()

    statuses = client.statuses()
    assert statuses[503] > 0, f"the outage was not seen: {statuses}"
    assert set(statuses) <= {200, 202, 503}, (
        f"never a 500, never a 2xx without a commit: {statuses}\n{service.logs()}"
    )
    for submission in client.submissions:
        for status, headers, body in submission.answers:
            if status == 503:
                assert int(headers["Retry-After"]) > 0
                assert body is not None and set(body) >= {"code", "status", "message", "errors"}
    assert len(client.acknowledged()) == 150
    # The same API process answered throughout: it recovered without a restart.
    assert api.child.alive and api.child.pid == api_pid and api.ready()
    ledger = settle(postgres.url, "blog", client.acknowledged(), timeout=60)
    assert_nothing_lost_or_doubled(ledger, client, service)


@pytest.mark.slow
def test_poison_comment_is_held_unscored_after_retries_and_others_flow_on(
    stack: ExitStack, tmp_path: Path, process_database: str
) -> None:
    redis = stack.enter_context(RedisServer(tmp_path / "redis"))
    # No sweeps during the test: every attempt after the first is one of RQ's retries.
    service, api = start_service(
        stack,
        tmp_path,
        process_database,
        redis,
        fault_poison=POISON,
        test_worker_hook=POISON_HOOK,
        sweep_after_seconds=600,
        sweep_interval_seconds=600,
    )
    client = Client(api, make_site(process_database, "blog"), "poison")
    poison = client.new()
    poison.text = f"A comment the scorer chokes on: {POISON}"
    assert client.post(poison) == 202
    client.submit(20)
    poison_id = poison.acknowledged_id
    others = {k: i for k, i in client.acknowledged().items() if i != poison_id}

    ledger = settle(process_database, "blog", others, timeout=30)
    assert ledger.comments[poison_id][1] == CommentStatus.PENDING.value, "others waited for it"
    assert ledger.decided() == 20

    ledger = settle(process_database, "blog", {"poison": poison_id}, timeout=60)
    assert ledger.comments[poison_id][1:3] == ("held", ["unscored"])
    assert_nothing_lost_or_doubled(ledger, client, service, scored=False)
    database = Database(process_database)
    with database.transaction() as session:
        stored = session.get(Comment, poison_id)
        assert stored is not None
        assert stored.score_attempts == 3 and POISON in (stored.last_error or "")
        # Back-off: RQ waits 1 s, then 5 s, between the three attempts (due times are whole
        # seconds, so each wait may end up to a second early); without it they take milliseconds.
        assert stored.decided_at is not None
        assert (stored.decided_at - stored.created_at).total_seconds() >= 4
    assert database.engine is not None
    database.engine.dispose()
    read = api.http.get(f"{api.url}/v1/comments/{poison_id}", headers=client.headers).json()
    assert read["status"] == "held" and read["reasons"] == ["unscored"]


# -- idempotency, in process ----------------------------------------------------------------------

COMMENT = {"name": "Ada", "text": "Thanks, the second chart made it click."}


def test_same_idempotency_key_and_body_give_the_same_comment_and_answer(
    client: Any, keys: Any
) -> None:
    headers = {**keys.headers("blog"), "Idempotency-Key": "form-submit-1"}
    first = client.post("/v1/comments", json=COMMENT, headers=headers)
    again = client.post("/v1/comments", json=COMMENT, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    # client_id is the other way to name a submission; it is scoped to the site.
    by_id = {**COMMENT, "client_id": "c-42"}
    one = client.post("/v1/comments", json=by_id, headers=keys.headers("blog")).get_json()
    two = client.post("/v1/comments", json=by_id, headers=keys.headers("blog")).get_json()
    other_site = client.post("/v1/comments", json=by_id, headers=keys.headers("shop")).get_json()
    assert one["id"] == two["id"] != other_site["id"]
    assert db.session().scalar(select(func.count()).select_from(Comment)) == 3


def test_same_idempotency_key_with_another_body_is_409_and_changes_nothing(
    client: Any, keys: Any
) -> None:
    headers = {**keys.headers("blog"), "Idempotency-Key": "form-submit-2"}
    first = client.post("/v1/comments", json=COMMENT, headers=headers).get_json()
    other = client.post("/v1/comments", json={**COMMENT, "text": "Changed."}, headers=headers)
    assert other.status_code == 409
    assert set(other.get_json()) == {"code", "status", "message", "errors"}
    by_id = {**COMMENT, "client_id": "c-43"}
    assert client.post("/v1/comments", json=by_id, headers=keys.headers("blog")).status_code == 202
    changed = {**by_id, "name": "Someone else"}
    assert (
        client.post("/v1/comments", json=changed, headers=keys.headers("blog")).status_code == 409
    )
    stored = db.session().scalars(select(Comment.text)).all()
    assert sorted(stored) == [COMMENT["text"], COMMENT["text"]]
    assert db.session().get(Comment, first["id"]).text == COMMENT["text"]


def test_scoring_twice_leaves_one_verdict_one_decision_one_score_per_label(
    client: Any, keys: Any, work: Any, app: Any
) -> None:
    from workers.jobs import score_comment

    posted = client.post("/v1/comments", json=COMMENT, headers=keys.headers("blog")).get_json()
    work()
    first = client.get(posted["links"]["self"], headers=keys.headers("blog")).get_json()
    assert first["status"] != "pending"

    # Again, as a retry, the sweeper or a second worker would: directly and through the queue.
    assert score_comment(posted["id"]) == first["status"]
    assert enqueue_score(app.extensions["redis"], posted["id"])
    work()
    assert get_queue(app.extensions["redis"], SCORE_QUEUE).count == 0

    again = client.get(posted["links"]["self"], headers=keys.headers("blog")).get_json()
    assert again == first
    session = db.session()
    decisions = session.scalars(select(Decision).where(Decision.comment_id == posted["id"])).all()
    assert [(d.actor, d.action) for d in decisions] == [("policy", "score")]
    scores = session.execute(
        select(Score.label, Score.model_version).where(Score.comment_id == posted["id"])
    ).all()
    assert sorted(label for label, _ in scores) == sorted(LABELS)
    assert len(set(scores)) == len(scores)


def test_moderation_sweep_enqueues_what_redis_lost(
    client: Any, keys: Any, work: Any, runner: Any, app: Any
) -> None:
    posted = client.post("/v1/comments", json=COMMENT, headers=keys.headers("blog")).get_json()
    app.extensions["redis"].flushdb()  # the enqueue is lost, as when Redis restarts empty
    work()
    assert client.get(posted["links"]["self"], headers=keys.headers("blog")).json["status"] == (
        "pending"
    )
    result = runner.invoke(args=["sweep", "--older-than", "0"])
    assert result.exit_code == 0 and "re-enqueued 1 " in result.output
    work()
    swept = client.get(posted["links"]["self"], headers=keys.headers("blog")).get_json()
    assert swept["status"] != "pending" and set(swept["scores"]) == set(LABELS)
