"""plans, plan journal and audit trail (plan -> approve -> apply)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("hash", sa.String(80), primary_key=True),
        sa.Column("procedure", sa.String(60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "plan_journal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_hash", sa.String(80), nullable=False, index=True),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("resource", sa.String(400), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("apply_id", sa.String(40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("plan_hash", "item_id", name="uq_plan_journal_item"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("who", sa.String(120), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("procedure", sa.String(60), nullable=False),
        sa.Column("plan_hash", sa.String(80), nullable=False, index=True),
        sa.Column("apply_id", sa.String(40), nullable=False),
        sa.Column("item_id", sa.String(40), nullable=True),
        sa.Column("account", sa.String(120), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("resource", sa.String(400), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("plan_journal")
    op.drop_table("plans")
