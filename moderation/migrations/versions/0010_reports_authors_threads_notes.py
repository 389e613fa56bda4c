"""reports, author and thread settings, notes, moderator actions; events of no decision

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import moderation.storage

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_TIME = moderation.storage.UTCDateTime(timezone=True)


def subject_table(name: str) -> None:
    """A table about one subject (an author, thread or comment) of a site, with a key."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        *(
            [sa.Column("text", sa.Text(), nullable=False)]
            if name == "notes"
            else [
                sa.Column("action", sa.String(length=32), nullable=False),
                sa.Column("detail", sa.JSON(), nullable=False),
                sa.Column("note", sa.Text(), nullable=True),
            ]
        ),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_subject", name, ["site_id", "subject", "subject_id"])


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("report_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_reported_at", UTC_TIME, nullable=True))
        batch_op.create_index("ix_comments_site_author_id", ["site_id", "author_id"])
        batch_op.create_index("ix_comments_reported", ["report_count", "last_reported_at"])
    # Events of no decision: reports, an author's or a thread's settings, notes.
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.alter_column("comment_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("decision_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.String(length=36), nullable=False),
        sa.Column("reader_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "reader_hash", name="uq_reports_reader"),
    )
    op.create_index("ix_reports_comment_id", "reports", ["comment_id"])
    op.create_table(
        "author_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("author_key", sa.String(length=200), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("suspended_until", UTC_TIME, nullable=True),
        sa.Column("premoderated", sa.Boolean(), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "author_key", name="uq_author_settings_key"),
    )
    op.create_table(
        "thread_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=200), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("premoderated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "thread_id", name="uq_thread_settings_thread"),
    )
    subject_table("notes")
    subject_table("moderator_actions")


def downgrade() -> None:
    for name in ("moderator_actions", "notes"):
        op.drop_index(f"ix_{name}_subject", table_name=name)
        op.drop_table(name)
    op.drop_table("thread_settings")
    op.drop_table("author_settings")
    op.drop_index("ix_reports_comment_id", table_name="reports")
    op.drop_table("reports")
    op.execute("DELETE FROM webhook_events WHERE decision_id IS NULL")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.alter_column("decision_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("comment_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_reported")
        batch_op.drop_index("ix_comments_site_author_id")
        batch_op.drop_column("last_reported_at")
        batch_op.drop_column("report_count")
        batch_op.drop_column("author_id")
