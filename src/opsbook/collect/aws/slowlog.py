"""Slow-query log parsing (pure): MySQL slow-log blocks and PostgreSQL `duration:` lines.

MySQL (slow_query_log)::

    # Time: 2026-11-26T10:00:01.123456Z
    # User@Host: app[app] @  [10.0.1.5]  Id:    12
    # Query_time: 12.345678  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 1000000
    SET timestamp=1764151201;
    SELECT * FROM orders WHERE customer_id = 42;

PostgreSQL (log_min_duration_statement), continuation lines start with whitespace::

    2026-11-26 10:00:01 UTC:10.0.1.5(5432):app@db:[123]:LOG:  duration: 2345.678 ms  statement: SELECT ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from opsbook.collect.aws.review_models import SlowStatement

_MYSQL_TIME = re.compile(r"^#\s*Query_time:\s*([\d.]+)")
_MYSQL_SKIP = re.compile(
    r"^(SET\s+timestamp\s*=|use\s+\S+;$|/\*!?\d*|\S+, Version: |Tcp port:|Time\s+Id\s+Command)", re.I
)
_PG_DURATION = re.compile(
    r"duration:\s*([\d.]+)\s*ms\s+(?:statement|execute\s+[^:]*|parse\s+[^:]*|bind\s+[^:]*):\s?(.*)$"
)
_PG_PREFIXED = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]")  # a new log line (log_line_prefix starts with a time)

MAX_STATEMENT = 200
MAX_EXAMPLE = 300


def parse_mysql(text: str) -> Iterator[tuple[float, str]]:
    """(milliseconds, statement) per slow-log entry."""
    ms: float | None = None
    sql: list[str] = []
    for line in text.splitlines():
        m = _MYSQL_TIME.match(line)
        if m:
            if ms is not None and sql:
                yield ms, " ".join(sql)
            ms, sql = float(m.group(1)) * 1000.0, []
            continue
        if line.startswith("#"):
            if ms is not None and sql:  # the next entry's `# Time:` / `# User@Host:` header
                yield ms, " ".join(sql)
                ms, sql = None, []
            continue
        if ms is None or not line.strip() or _MYSQL_SKIP.match(line.strip()):
            continue
        sql.append(line.strip())
    if ms is not None and sql:
        yield ms, " ".join(sql)


def parse_postgres(text: str) -> Iterator[tuple[float, str]]:
    """(milliseconds, statement) per `duration: N ms  statement: ...` line (with its continuations)."""
    ms: float | None = None
    sql: list[str] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and ms is not None:
            sql.append(line.strip())
            continue
        if ms is not None:
            yield ms, " ".join(sql)
            ms, sql = None, []
        m = _PG_DURATION.search(line)
        if m:
            ms, sql = float(m.group(1)), [m.group(2).strip()]
    if ms is not None:
        yield ms, " ".join(sql)


def parse(engine: str, text: str) -> Iterator[tuple[float, str]]:
    return parse_postgres(text) if "postgres" in engine else parse_mysql(text)


def normalise(sql: str) -> str:
    """Fold literals so that one statement with other values counts as one."""
    s = re.sub(r"\s+", " ", sql.strip().rstrip(";"))
    s = re.sub(r"'(?:[^'\\]|\\.|'')*'", "?", s)
    s = re.sub(r"\b\d+(?:\.\d+)?\b", "?", s)
    s = re.sub(r"\$\d+", "?", s)
    s = re.sub(r"\(\s*\?(?:\s*,\s*\?)+\s*\)", "(?+)", s)
    return s[:MAX_STATEMENT]


def summarise(entries: Iterable[tuple[float, str]], top: int = 10) -> tuple[int, list[SlowStatement]]:
    """(entries seen, statements): the top by total time plus any in the top by max time."""
    acc: dict[str, list[float]] = {}
    examples: dict[str, str] = {}
    n = 0
    for ms, sql in entries:
        n += 1
        key = normalise(sql)
        acc.setdefault(key, []).append(ms)
        examples.setdefault(key, sql[:MAX_EXAMPLE])
    stmts = [
        SlowStatement(
            statement=k,
            count=len(v),
            total_ms=round(sum(v), 3),
            max_ms=round(max(v), 3),
            example=examples[k],
        )
        for k, v in acc.items()
    ]
    by_total = sorted(stmts, key=lambda s: (-s.total_ms, s.statement))[:top]
    by_max = sorted(stmts, key=lambda s: (-s.max_ms, s.statement))[:top]
    chosen = {s.statement: s for s in by_total + by_max}
    return n, sorted(chosen.values(), key=lambda s: (-s.total_ms, s.statement))
