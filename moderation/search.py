"""Full-text search of comments' text: one interface over SQLite FTS5 and PostgreSQL.

``matching(query)`` is the WHERE clause (``review.filtered`` applies it for ``q``); it compiles to
each backend's own index, so callers never name a dialect. A query is words separated by spaces,
all of which must match, the last one as a prefix. User input never reaches either query language
as syntax: each word is quoted, so punctuation, quotes and operators are only text, and input with
no letter or digit is ``InvalidSearch`` (the front doors answer 422).

The index: on SQLite an FTS5 external-content table over ``comments.text`` (no second copy of the
text), kept in step by triggers; on PostgreSQL a GIN index on ``to_tsvector('simple', text)``
(``simple``: no stemming or stop words of one language, sites are multilingual). Migration 0012
calls ``create_index``. A later migration that rebuilds ``comments`` on SQLite (Alembic's batch
mode) drops the triggers and renumbers the rowids the index refers to: it must call
``drop_index`` before and ``create_index`` after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    literal_column,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles

from moderation.exceptions import ModerationError
from moderation.storage import Comment

MAX_QUERY_LENGTH = 200
MAX_WORDS = 16
FTS_TABLE = "comments_fts"
PG_INDEX = "ix_comments_text_search"
# Not in Base.metadata: the schema is the migrations', and the tests empty Base's tables.
_fts = Table(FTS_TABLE, MetaData(), Column("rowid", Integer), Column(FTS_TABLE, Text))

SQLITE_DDL = (
    # remove_diacritics 2: "cafe" finds "café" in every script unicode61 knows.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='comments', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text); END",
    # External content: a row leaves the index by the values it was indexed with.
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text); "
    "END",
    # Only a change of the text: status and score updates (every comment's) cost nothing here.
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF text ON comments BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
PG_EXPRESSION = "to_tsvector('simple', text)"


class InvalidSearch(ModerationError):
    """A search query with no word to look for, or too long (the front doors answer 422)."""


def words(query: str) -> list[str]:
    """The words of a query: its space-separated parts that hold a letter or a digit.

    ``InvalidSearch`` if there is none, or the query is longer than ``MAX_QUERY_LENGTH``
    characters or ``MAX_WORDS`` words.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidSearch(f"A search is at most {MAX_QUERY_LENGTH} characters.")
    found = [part for part in query.split() if any(char.isalnum() for char in part)]
    if not found:
        raise InvalidSearch("A search needs a word: letters or digits.")
    if len(found) > MAX_WORDS:
        raise InvalidSearch(f"A search is at most {MAX_WORDS} words.")
    return found


def fts5_query(found: list[str]) -> str:
    """FTS5's query: each word a quoted string ("" escapes "), all required, the last a prefix."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in found]
    return " ".join(quoted) + "*"


def tsquery(found: list[str]) -> str:
    """PostgreSQL's ``to_tsquery`` text: each word quoted ('' and \\ escape), all required
    (``&``), the last a prefix (``:*``); inside quotes the parser splits a word as it split the
    comment's text, so "example.com" or "e-mail" find what they look like."""
    quoted = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in found]
    quoted[-1] += ":*"
    return " & ".join(quoted)


class _TextMatch(ColumnElement[bool]):
    """The comments whose text matches, as each backend's index answers it (compiled below)."""

    type = Boolean()
    # Holds per-dialect clauses SQLAlchemy cannot key; searches are not worth a cache entry.
    inherit_cache = False

    def __init__(self, found: list[str]) -> None:
        self.sqlite = literal_column("comments.rowid").in_(
            select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(fts5_query(found)))
        )
        # A constant, not a bound parameter: only then does the planner match the index.
        simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
        self.postgresql = func.to_tsvector(simple, Comment.text).op("@@")(
            func.to_tsquery(simple, tsquery(found))
        )

    @property
    def _from_objects(self) -> list[Any]:
        # So that select(func.count()).where(matching(...)) still reads FROM comments.
        return [Comment.__table__]


@compiles(_TextMatch)
def _compile(element: _TextMatch, compiler: Any, **kw: Any) -> str:
    clause = getattr(element, compiler.dialect.name, None)
    if clause is None:
        raise CompileError(f"No comment search on {compiler.dialect.name}.")
    return str(compiler.process(clause, **kw))


def matching(query: str) -> ColumnElement[bool]:
    """The comments whose text has every word of ``query`` (``InvalidSearch`` if it has none)."""
    return _TextMatch(words(query))


def create_index(connection: Connection, *, concurrently: bool = False) -> None:
    """Create the search index for this backend and fill it with the comments stored.

    ``concurrently`` (PostgreSQL, outside a transaction): comments are still written while the
    index builds; a build that failed half-way left an invalid index, dropped first.
    """
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            connection.execute(sql_text(statement))
    elif connection.dialect.name == "postgresql":
        how = "CONCURRENTLY " if concurrently else ""
        connection.execute(sql_text(f"DROP INDEX {how}IF EXISTS {PG_INDEX}"))
        connection.execute(
            sql_text(f"CREATE INDEX {how}{PG_INDEX} ON comments USING gin ({PG_EXPRESSION})")
        )


def drop_index(connection: Connection) -> None:
    """Drop the search index and, on SQLite, its triggers."""
    if connection.dialect.name == "sqlite":
        for kind in ("insert", "update", "delete"):
            connection.execute(sql_text(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{kind}"))
        connection.execute(sql_text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif connection.dialect.name == "postgresql":
        connection.execute(sql_text(f"DROP INDEX IF EXISTS {PG_INDEX}"))
