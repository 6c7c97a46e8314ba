"""Slow-query log parsing: MySQL slow-log blocks and PostgreSQL `duration:` lines, then the summary."""

from __future__ import annotations

from opsbook.collect.aws import slowlog
from opsbook.collect.aws.rds_review import slow_log_files

MYSQL = """\
/rdsdbbin/mysql/bin/mysqld, Version: 8.0.35 (Source distribution). started with:
Tcp port: 3306  Unix socket: /tmp/mysql.sock
Time                 Id Command    Argument
# Time: 2026-11-26T10:00:01.123456Z
# User@Host: app[app] @  [10.0.1.5]  Id:    12
# Query_time: 12.345678  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 1000000
use shop;
SET timestamp=1764151201;
SELECT * FROM orders
WHERE customer_id = 42;
# Time: 2026-11-26T10:05:00.000000Z
# User@Host: app[app] @  [10.0.1.6]  Id:    13
# Query_time: 2.000000  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 10
SET timestamp=1764151500;
SELECT * FROM orders WHERE customer_id = 7;
# User@Host: report[report] @  [10.0.1.7]  Id:    14
# Query_time: 0.5  Lock_time: 0.0 Rows_sent: 3  Rows_examined: 3
UPDATE carts SET total = 10.5 WHERE id IN (1, 2, 3);
"""

POSTGRES = """\
2026-11-26 10:00:01 UTC:10.0.1.5(5432):app@db:[123]:LOG:  duration: 2345.678 ms  statement: SELECT *
\tFROM orders WHERE customer_id = 42
2026-11-26 10:00:02 UTC:10.0.1.5(5432):app@db:[123]:LOG:  connection authorized: user=app
2026-11-26 10:00:03 UTC:10.0.1.5(5432):app@db:[124]:LOG:  duration: 100.5 ms  execute <unnamed>: SELECT name FROM users WHERE id = $1
2026-11-26 10:00:04 UTC:10.0.1.5(5432):app@db:[125]:LOG:  duration: 7000 ms  statement: SELECT * FROM orders WHERE customer_id = 9
2026-11-26 10:00:05 UTC:10.0.1.5(5432):app@db:[126]:ERROR:  relation "nope" does not exist
"""


def test_mysql_blocks_are_parsed_with_multiline_statements_and_headers_skipped() -> None:
    entries = list(slowlog.parse("mysql", MYSQL))
    assert [round(ms) for ms, _ in entries] == [12346, 2000, 500]
    assert entries[0][1] == "SELECT * FROM orders WHERE customer_id = 42;"
    assert entries[2][1].startswith("UPDATE carts")


def test_postgres_duration_lines_with_continuations_and_execute() -> None:
    entries = list(slowlog.parse("postgres", POSTGRES))
    assert entries == [
        (2345.678, "SELECT * FROM orders WHERE customer_id = 42"),
        (100.5, "SELECT name FROM users WHERE id = $1"),
        (7000.0, "SELECT * FROM orders WHERE customer_id = 9"),
    ]


def test_summary_folds_literals_and_ranks_by_total_and_max() -> None:
    n, stmts = slowlog.summarise(slowlog.parse("postgres", POSTGRES), top=1)
    assert n == 3
    top = stmts[0]
    assert top.statement == "SELECT * FROM orders WHERE customer_id = ?"
    assert (top.count, top.total_ms, top.max_ms) == (2, 9345.678, 7000.0)
    assert len(stmts) == 1  # the top by total is also the top by max
    _, mysql = slowlog.summarise(slowlog.parse("mysql", MYSQL))
    assert "UPDATE carts SET total = ? WHERE id IN (?+)" in [s.statement for s in mysql]


def test_slow_log_files_per_engine() -> None:
    files = [
        {"LogFileName": n}
        for n in (
            "error/postgresql.log.2026-11-26-10",
            "slowquery/mysql-slowquery.log",
            "error/mysql-error.log",
        )
    ]
    assert slow_log_files("postgres", files) == ["error/postgresql.log.2026-11-26-10"]
    assert slow_log_files("mysql", files) == ["slowquery/mysql-slowquery.log"]
