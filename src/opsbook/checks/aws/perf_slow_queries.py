"""Wednesday: the RDS slow-query log of the last 7 days, top statements by total and maximum time."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.aws.rds_status import db_resource
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.review_models import SlowLog
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity


class Settings(BaseModel):
    max_statement_ms: float = Field(5000.0, gt=0, description="one execution slower than this fails")
    max_total_ms: float = Field(600000.0, gt=0, description="one statement's total time above this fails")
    top: int = Field(5, ge=1, le=20, description="statements listed in the finding")


@check(
    id="rds.slow_queries",
    title="RDS slow queries over the last 7 days",
    section="Weekly Tasks / Wednesday: Performance Review",
    cadence=("weekly:wednesday",),
    severity=Severity.MEDIUM,
    needs=(RDS_INSTANCES, "rds.slow_queries_7d"),
    permissions=("rds:DescribeDBInstances", "rds:DescribeDBLogFiles", "rds:DownloadDBLogFilePortion"),
    remediation="aws rds download-db-log-file-portion --db-instance-identifier <id> --log-file-name "
    "<slowquery log>; EXPLAIN the top statements, add indexes or rewrite them",
    settings=Settings,
)
def slow_queries(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    logs: dict[str, SlowLog] = ctx["rds.slow_queries_7d"]
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    for db in dbs:
        log = logs.get(db.id)
        if log is None:
            continue  # an engine without a slow-query log
        top = [st.model_dump() for st in log.statements[: s.top]]
        info = {
            "engine": log.engine,
            "files": log.files,
            "entries": log.entries,
            "top_statements": top,
            "truncated": log.truncated,
        }
        if not log.log_enabled:
            yield ctx.skipped(
                f"{db.id}: no slow-query log written in the last 7 days (is it enabled?)",
                db_resource(db),
                **info,
            )
            continue
        slow = [st for st in log.statements if st.max_ms > s.max_statement_ms or st.total_ms > s.max_total_ms]
        if slow:
            worst = max(slow, key=lambda st: st.total_ms)
            yield ctx.failed(
                f"{db.id}: {len(slow)} statement(s) over the limits; worst {worst.count}x, "
                f"{worst.total_ms / 1000:.1f} s total, {worst.max_ms / 1000:.1f} s max: {worst.statement[:80]}",
                db_resource(db),
                **info,
            )
        else:
            yield ctx.passed(
                f"{db.id}: {log.entries} slow-log entries, none over {s.max_statement_ms / 1000:g} s",
                db_resource(db),
                **info,
            )
