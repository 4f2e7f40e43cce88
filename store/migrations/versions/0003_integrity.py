"""Integrity of what is kept: who sent each result, a key per result, and deletions that hold.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        # The API key that sent the result (null when keys are off, and for results from the CLI).
        batch.add_column(sa.Column("key_id", sa.String(64), nullable=True))
        # One key per result, made when it is acknowledged: a result replayed from a worker's journal is
        # stored once however often it is replayed.
        batch.add_column(sa.Column("result_key", sa.String(32), nullable=True))
        batch.create_index("ix_results_result_key", ["result_key"], unique=True)
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("key_id", sa.String(64), nullable=True))
    op.create_table(
        "deletions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(1000), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deletions"),
    )
    op.create_index("ix_deletions_platform_account_id", "deletions", ["platform", "account_id"])


def downgrade() -> None:
    op.drop_index("ix_deletions_platform_account_id", table_name="deletions")
    op.drop_table("deletions")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("key_id")
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_result_key")
        batch.drop_column("result_key")
        batch.drop_column("key_id")
