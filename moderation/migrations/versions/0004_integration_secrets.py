"""integration_secrets: Coral's signing secrets per site, sealed under SECRET_KEY

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import moderation.storage

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", moderation.storage.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", moderation.storage.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("integration_secrets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_secrets_site_id"), ["site_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("integration_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_secrets_site_id"))
    op.drop_table("integration_secrets")
