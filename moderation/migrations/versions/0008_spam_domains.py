"""spam_domains: domains of comments a moderator rejected as spam, and each comment's link domains

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import moderation.storage

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_domains", sa.JSON(), nullable=True))
    op.create_table(
        "spam_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("created_at", moderation.storage.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "domain", name="uq_spam_domains_comment_domain"),
    )
    with op.batch_alter_table("spam_domains", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spam_domains_domain_created", ["domain", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spam_domains", schema=None) as batch_op:
        batch_op.drop_index("ix_spam_domains_domain_created")
    op.drop_table("spam_domains")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("link_domains")
