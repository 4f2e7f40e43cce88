"""Bot types of each stored result: the leading type and the score of every type.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: results stored before bot types were scored have none.
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("bot_type", sa.String(32), nullable=True))
        batch.add_column(sa.Column("bot_types", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("bot_types")
        batch.drop_column("bot_type")
