"""Full-text search of comments (moderation.search) on the real database, and migration 0012."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select, text, update

from moderation import search
from moderation.migrations import alembic_config, upgrade
from moderation.storage import Comment, db
from tests.helpers import submit

# Input a user might type, or an attacker: each one FTS5 or to_tsquery syntax if not quoted.
HOSTILE = [
    'chart"',
    '"chart',
    "chart*",
    "chart AND",
    "OR chart",
    "NOT chart",
    "NEAR(chart article)",
    "text:chart",
    "^chart",
    "chart -article",
    "chart + article",
    "(chart",
    "chart)",
    "chart & | ! <-> :*",
    "'chart'",
    "chart's",
    "\\chart\\",
    "chart\\'",
    "it''s",
    "{chart}",
    "chart:*A",
    "cha*rt",
    "ünïcödé café",
    "日本語",
    "😀 chart",
    "a" * 200,
    "1 2 3",
    "x.y.z@example.com",
    "http://pills.example.com/?a=b&c=d",
    "%_ chart",
    "chart;DROP TABLE comments;--",
]


def found(query: str, site_id: int | None = None) -> set[str]:
    """The ids of the comments whose text matches ``query``."""
    db.remove()
    session = db.session()
    where = [search.matching(query)]
    if site_id is not None:
        where.append(Comment.site_id == site_id)
    return set(session.scalars(select(Comment.id).where(*where)))


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("chart", ["chart"]),
        ("  second   chart ", ["second", "chart"]),
        ('"chart" -- !!', ['"chart"']),
        ("e-mail example.com", ["e-mail", "example.com"]),
    ],
)
def test_a_query_is_its_words_with_a_letter_or_digit(query: str, words: list[str]) -> None:
    assert search.words(query) == words


@pytest.mark.parametrize("query", ["", "   ", "!!! -- ''", '"', "*", "a" * 201, " ".join("w" * 17)])
def test_a_query_without_words_or_too_long_is_invalid(query: str) -> None:
    with pytest.raises(search.InvalidSearch):
        search.words(query)


def test_words_are_quoted_for_each_backend() -> None:
    assert search.fts5_query(['say"', "hi"]) == '"say""" "hi"*'
    assert search.tsquery(["it's", "a\\b"]) == "'it''s' & 'a\\\\b':*"


def test_every_word_must_match_and_the_last_is_a_prefix(client: Any, keys: Any) -> None:
    chart = submit(client, keys, "Thanks for the article, the second chart helped a lot.")
    charts = submit(client, keys, "Both CHARTS were wrong.")
    other = submit(client, keys, "I disagree with the conclusion.")
    assert found("chart") == {chart, charts}  # a prefix, whatever the case
    assert found("second chart") == {chart}
    assert found("chart second") == {chart}  # order does not matter
    assert found("chart conclusion") == set()
    assert found("disagree") == {other}
    # Only the last word is a prefix.
    assert found("sec chart") == set()


def test_punctuation_in_the_text_and_in_the_query(client: Any, keys: Any) -> None:
    link = submit(client, keys, "Visit http://pills.example.com for cheap pills!")
    mail = submit(client, keys, "Write to spam-king@example.org, it's free.")
    assert found("pills.example.com") == {link}
    assert found("cheap pills!!!") == {link}
    assert found("it's free") == {mail}
    assert found("(free)") == {mail}


def test_hostile_queries_run_and_match_what_they_say(client: Any, keys: Any) -> None:
    chart = submit(client, keys, "The second chart helped a lot; thanks for the article.")
    for query in HOSTILE:
        result = found(query)  # no syntax error, on either backend
        assert result <= {chart}, query
    assert found('chart"') == {chart}
    assert found("NOT chart") == set()  # NOT is a word here, and the comment lacks it
    assert found("chart AND") == set()


def test_the_index_follows_inserts_updates_and_deletes(client: Any, keys: Any) -> None:
    first = submit(client, keys, "An apple a day.")
    assert found("apple") == {first}
    with db.transaction() as session:
        session.execute(update(Comment).where(Comment.id == first).values(text="A pear a day."))
    assert found("apple") == set() and found("pear") == {first}
    # Other updates (the worker's status and scores) leave the index as it was.
    with db.transaction() as session:
        session.execute(update(Comment).where(Comment.id == first).values(status="held"))
    assert found("pear") == {first}
    with db.transaction() as session:
        session.execute(Comment.__table__.delete().where(Comment.id == first))
    assert found("pear") == set()


def test_the_clause_counts_without_naming_the_table(client: Any, keys: Any) -> None:
    submit(client, keys, "An apple a day.")
    db.remove()
    query = select(func.count()).where(search.matching("apple"))
    assert db.session().scalar(query) == 1


def test_postgresql_reads_the_gin_index(client: Any, keys: Any) -> None:
    db.remove()
    session = db.session()
    if session.bind.dialect.name != "postgresql":  # type: ignore[union-attr]
        pytest.skip("PostgreSQL's plan")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    query = select(Comment.id).where(search.matching("apple pie"))
    compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
    plan = "\n".join(session.scalars(text(f"EXPLAIN {compiled}")))
    assert search.PG_INDEX in plan, plan


def site_comment(connection: Any, comment_id: str, body: str) -> None:
    connection.execute(
        text(
            "INSERT INTO comments (id, site_id, status, reasons, name, text, scores, "
            "model_versions, explanations, score_attempts, created_at, report_count) VALUES "
            "(:id, 1, 'held', '[]', 'Reader', :text, '{}', '{}', '{}', 0, "
            "'2026-12-01 00:00:00.000000', 0)"
        ),
        {"id": comment_id, "text": body},
    )


def test_migration_0012_indexes_stored_comments_and_goes_back(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'moderation.db'}"
    upgrade(url, "0011")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sites (id, name, origins, policy, created_at) "
                "VALUES (1, 's', '[]', '{}', '2026-12-01 00:00:00.000000')"
            )
        )
        site_comment(connection, "before", "Stored before the index: spinach soup.")
    upgrade(url, "0012")
    with engine.begin() as connection:
        site_comment(connection, "after", "Stored after it: spinach pie.")
        # FTS5 checks the index against the comments table (external content).
        connection.execute(
            text(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')")
        )
        query = select(Comment.id).where(search.matching("spinach"))
        assert set(connection.scalars(query)) == {"before", "after"}
        assert set(connection.scalars(select(Comment.id).where(search.matching("soup")))) == {
            "before"
        }
    command.downgrade(alembic_config(url), "0011")
    with engine.connect() as connection:
        assert search.FTS_TABLE not in inspect(connection).get_table_names()
        triggers = connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        assert not [name for name in triggers if name.startswith(search.FTS_TABLE)]
        # Comments are still written without the index.
        site_comment(connection, "without", "No index now.")
        connection.commit()
    upgrade(url)
    with engine.connect() as connection:
        query = select(Comment.id).where(search.matching("index"))
        assert set(connection.scalars(query)) == {"before", "without"}
    engine.dispose()
