"""runs.scope and schedule_fires.scope: String(80) -> String(1000), so a run of many named checks fits
(`check:a+check:b+...[account=dev]`; core/scope_label.py bounds a label to 1000 characters)

Revision ID: 0010
Revises: 0009

SQLite does not enforce a VARCHAR's length, and widening it there would mean copying the runs table (batch
mode) under the findings that reference it: only PostgreSQL's columns change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("runs", "schedule_fires")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in TABLES:
        op.alter_column(
            table, "scope", type_=sa.String(1000), existing_type=sa.String(80), existing_nullable=False
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in TABLES:
        op.alter_column(
            table, "scope", type_=sa.String(80), existing_type=sa.String(1000), existing_nullable=False
        )
