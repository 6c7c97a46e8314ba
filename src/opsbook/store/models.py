"""SQLAlchemy 2 models of the store. Schema changes go through an Alembic migration in migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from opsbook.core.scope_label import STORED as SCOPE_WIDTH


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE_WIDTH), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | complete | interrupted
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    api_calls: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"throttles": ..., "errors": ...} shaped as api_calls; NULL for runs from before migration 0008
    api_faults: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class TargetResultRow(Base):
    __tablename__ = "target_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_run_status", "run_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(40), index=True)
    check_id: Mapped[str] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    target_key: Mapped[str] = mapped_column(String(200))
    resource: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remediation: Mapped[str] = mapped_column(Text, default="")
