"""restore drills: one row per backup a drill restored and compared

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "restore_drills",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("drill_id", sa.String(40), nullable=False, index=True),
        sa.Column("cluster", sa.String(200), nullable=False, index=True),
        sa.Column("backup", sa.String(253), nullable=False),
        sa.Column("schedule", sa.String(253), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("restore_seconds", sa.Float(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("restore_drills")
