"""full-text search of comments' text: FTS5 on SQLite, a GIN index on PostgreSQL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 00:00:00
"""

from __future__ import annotations

from alembic import op

from moderation import search

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Outside the transaction, so that comments are still stored while a large table builds
        # its index (a plain CREATE INDEX would block every submission meanwhile).
        with op.get_context().autocommit_block():
            search.create_index(bind, concurrently=True)
    else:
        search.create_index(bind)


def downgrade() -> None:
    search.drop_index(op.get_bind())
