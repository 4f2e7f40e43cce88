"""Results and feedback.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(1000), nullable=False),
        sa.Column("screen_name", sa.String(1000), nullable=True),
        sa.Column("screen_name_key", sa.String(1000), nullable=True),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.Column("n_posts", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_results"),
    )
    op.create_index("ix_results_platform_account_id_scored_at", "results", ["platform", "account_id", "scored_at"])
    op.create_index(
        "ix_results_platform_screen_name_key_scored_at", "results", ["platform", "screen_name_key", "scored_at"]
    )
    op.create_index("ix_results_scored_at", "results", ["scored_at"])
    op.create_table(
        "feedback",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(1000), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("key_name", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("stored_label", sa.String(16), nullable=True),
        sa.Column("stored_model_version", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_platform_account_id", "feedback", ["platform", "account_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("results")
