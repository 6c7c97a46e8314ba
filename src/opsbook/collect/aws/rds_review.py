"""RDS for the weekly/monthly reviews: slow-query logs, 7-day utilisation, storage headroom."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import botocore.exceptions

from opsbook.collect.aws import metrics, slowlog
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.review_models import DbStorage, SlowLog, Utilisation
from opsbook.core.collectors import CollectContext, collector

MAX_LOG_BYTES = 8 * 1024 * 1024  # per instance and run: enough for a week of slow queries
TOP_STATEMENTS = 10


def slow_log_files(engine: str, files: list[dict[str, Any]]) -> list[str]:
    """The files holding slow statements: MySQL's slowquery log(s), PostgreSQL's error/postgresql.log.*."""
    names = sorted(f["LogFileName"] for f in files)
    if "postgres" in engine:
        return [n for n in names if n.startswith("error/postgresql.log")]
    return [n for n in names if "slowquery" in n]


def download(rds: Any, db: str, name: str, budget: int) -> tuple[str, bool]:
    """The file's text (following Marker) up to `budget` bytes; True when cut short."""
    parts: list[str] = []
    size = 0
    marker = "0"
    while True:
        page = rds.download_db_log_file_portion(DBInstanceIdentifier=db, LogFileName=name, Marker=marker)
        data = page.get("LogFileData") or ""
        parts.append(data)
        size += len(data.encode())
        if size >= budget:
            return "".join(parts), bool(page.get("AdditionalDataPending"))
        if not page.get("AdditionalDataPending") or page.get("Marker") in (None, marker):
            return "".join(parts), False
        marker = page["Marker"]


@collector(
    "rds.slow_queries_7d",
    permissions=("rds:DescribeDBLogFiles", "rds:DownloadDBLogFilePortion"),
    deps=(RDS_INSTANCES,),
)
def slow_queries_7d(ctx: CollectContext) -> dict[str, SlowLog]:
    """Per MySQL/PostgreSQL instance: the slow-query log files written in the last 7 days, summarised."""
    rds = ctx.client("rds")
    since = int((ctx.now - timedelta(days=7)).timestamp() * 1000)
    out: dict[str, SlowLog] = {}
    dbs: list[DbInstance] = ctx.get(RDS_INSTANCES)
    for db in dbs:
        if not any(e in db.engine for e in ("mysql", "mariadb", "postgres")):
            continue
        files: list[dict[str, Any]] = []
        try:
            for page in rds.get_paginator("describe_db_log_files").paginate(
                DBInstanceIdentifier=db.id, FileLastWritten=since
            ):
                files.extend(page.get("DescribeDBLogFiles", []))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("InvalidDBInstanceState", "DBInstanceNotFound"):
                continue  # stopped or deleted meanwhile: nothing to read
            raise
        names = slow_log_files(db.engine, files)
        budget, truncated = MAX_LOG_BYTES, False
        entries: list[tuple[float, str]] = []
        for name in names:
            if budget <= 0:
                truncated = True
                break
            text, cut = download(rds, db.id, name, budget)
            budget -= len(text.encode())
            truncated = truncated or cut
            entries.extend(slowlog.parse(db.engine, text))
        n, statements = slowlog.summarise(entries, TOP_STATEMENTS)
        out[db.id] = SlowLog(
            engine=db.engine,
            files=names,
            entries=n,
            statements=statements,
            truncated=truncated,
            log_enabled=bool(names),
        )
    return out


@collector("rds.utilisation_7d", permissions=("cloudwatch:GetMetricData",), deps=(RDS_INSTANCES,))
def utilisation_7d(ctx: CollectContext) -> dict[str, Utilisation]:
    """CPUUtilization (average, max) and DatabaseConnections (max) per instance, daily over 7 days."""
    dbs: list[DbInstance] = ctx.get(RDS_INSTANCES)
    if not dbs:
        return {}
    queries = []
    for i, db in enumerate(dbs):
        dims = {"DBInstanceIdentifier": db.id}
        queries.append(metrics.metric_query(f"c{i}", "AWS/RDS", "CPUUtilization", dims, "Average", 86400))
        queries.append(metrics.metric_query(f"m{i}", "AWS/RDS", "CPUUtilization", dims, "Maximum", 86400))
        queries.append(
            metrics.metric_query(f"n{i}", "AWS/RDS", "DatabaseConnections", dims, "Maximum", 86400)
        )
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(days=7), ctx.now)
    return {db.id: utilisation(values[f"c{i}"], values[f"m{i}"], values[f"n{i}"]) for i, db in enumerate(dbs)}


def utilisation(
    cpu: list[float], cpu_max: list[float], connections: list[float] | None = None
) -> Utilisation:
    return Utilisation(
        cpu_avg=round(sum(cpu) / len(cpu), 2) if cpu else None,
        cpu_max=max(cpu_max) if cpu_max else None,
        connections_max=max(connections) if connections else None,
        datapoints=len(cpu),
    )


@collector("rds.storage", permissions=("cloudwatch:GetMetricData",), deps=(RDS_INSTANCES,))
def storage(ctx: CollectContext) -> dict[str, DbStorage]:
    """Allocated and MaxAllocatedStorage with the lowest FreeStorageSpace of the last day."""
    dbs: list[DbInstance] = ctx.get(RDS_INSTANCES)
    if not dbs:
        return {}
    queries = [
        metrics.metric_query(
            f"f{i}", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": db.id}, "Minimum", 3600
        )
        for i, db in enumerate(dbs)
    ]
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(days=1), ctx.now)
    return {
        db.id: DbStorage(
            allocated_gb=db.allocated_storage,
            max_allocated_gb=db.max_allocated_storage,
            free_bytes=min(values[f"f{i}"]) if values[f"f{i}"] else None,
        )
        for i, db in enumerate(dbs)
    }
