"""schedule_fires: each slot of the schedule that started (or was skipped), once per cadence and slot

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("cadence", sa.String(40), nullable=False, index=True),
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("catch_up", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("run_id", sa.String(40), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.UniqueConstraint("cadence", "slot_at", name="uq_schedule_fires_slot"),
    )


def downgrade() -> None:
    op.drop_table("schedule_fires")
