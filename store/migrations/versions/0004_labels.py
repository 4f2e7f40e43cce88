"""The labeler's signed labels: an AT Protocol label stream kept with the results it comes from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("src", sa.String(1000), nullable=False),
        sa.Column("uri", sa.String(1000), nullable=False),
        sa.Column("val", sa.String(128), nullable=False),
        sa.Column("neg", sa.Boolean(), nullable=False),
        sa.Column("cts", sa.String(32), nullable=False),
        sa.Column("sig", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_labels"),
    )
    op.create_index("ix_labels_uri_val", "labels", ["uri", "val"])


def downgrade() -> None:
    op.drop_index("ix_labels_uri_val", table_name="labels")
    op.drop_table("labels")
