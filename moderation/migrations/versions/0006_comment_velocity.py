"""comment_velocity: comments by client-IP hash and by author over time, for the velocity signals

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_ip_created", ["ip_hash", "created_at"], unique=False)
        batch_op.create_index(
            "ix_comments_author_created", ["author_hash", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_author_created")
        batch_op.drop_index("ix_comments_ip_created")
