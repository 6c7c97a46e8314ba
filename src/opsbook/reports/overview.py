"""Overview tables: what the guide's review scripts print, lifted from the measurements checks keep.

Checks keep their measurements in finding details, on passing findings as well as failing ones. An
overview table declares which check ids it reads and which detail keys become its columns; `tables()`
turns a run's findings into typed tables (the report's `overview`, docs/report-format.md), one row per
finding that measured something, passing rows included. Markdown, the terminal and HTML render those
tables from the same cells (`heading()`, `cells()`, `total_cells()`). The tables themselves are declared in
`overview_tables.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from opsbook.reports.model import ReportFinding

Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """One column: the detail `key` it lifts (or `get(details)` when the value is nested), its heading,
    and the decimals its floats are shown with."""

    key: str
    heading: str
    digits: int = 1
    get: Getter | None = None

    def value(self, details: dict[str, Any]) -> Any:
        return self.get(details) if self.get is not None else details.get(self.key)


@dataclass(frozen=True)
class Spec:
    """An overview table: `checks` it lifts rows from, its `columns`, and the column keys summed in a
    total row (`totals`)."""

    name: str
    title: str
    checks: tuple[str, ...]
    columns: tuple[Column, ...]
    totals: tuple[str, ...] = ()
    note: str = ""
    resource_heading: str = "resource"


REGISTRY: dict[str, Spec] = {}


def register(spec: Spec) -> Spec:
    if spec.name in REGISTRY:
        raise ValueError(f"overview table {spec.name!r} is registered twice")
    unknown = set(spec.totals) - {c.key for c in spec.columns}
    if unknown:
        raise ValueError(f"overview table {spec.name!r}: totals name unknown columns {sorted(unknown)}")
    REGISTRY[spec.name] = spec
    return spec


class OverviewColumn(BaseModel):
    key: str
    heading: str
    digits: int = 1


class OverviewRow(BaseModel):
    check_id: str
    target: str
    resource: str
    status: str
    values: dict[str, Any]


class OverviewTable(BaseModel):
    name: str
    title: str
    note: str = ""
    resource_heading: str = "resource"
    columns: list[OverviewColumn]
    rows: list[OverviewRow]
    totals: dict[str, float] | None = None

    @cached_property
    def by_check(self) -> bool:
        """A table that lifts rows from more than one check shows which check each row came from (worked out
        once per table, not per row: a table can have thousands of rows)."""
        return len({r.check_id for r in self.rows}) > 1


def _table(spec: Spec, findings: Sequence[ReportFinding]) -> OverviewTable | None:
    measured = []
    for f in findings:
        if f.check_id in spec.checks:
            values = {c.key: c.value(f.details or {}) for c in spec.columns}
            if any(v is not None for v in values.values()):
                measured.append((f, values))
    if not measured:
        return None
    shown = [c for c in spec.columns if any(v[c.key] is not None for _, v in measured)]
    rows = [
        OverviewRow(
            check_id=f.check_id,
            target=f.target.key,
            resource=f.resource_id,
            status=str(f.status),
            values={c.key: v[c.key] for c in shown},
        )
        for f, v in measured
    ]
    rows.sort(key=lambda r: (spec.checks.index(r.check_id), r.target, r.resource))
    totals = None
    if spec.totals:
        summed = [c.key for c in shown if c.key in spec.totals]
        totals = {k: round(sum(float(r.values.get(k) or 0) for r in rows), 2) for k in summed}
    return OverviewTable(
        name=spec.name,
        title=spec.title,
        note=spec.note,
        resource_heading=spec.resource_heading,
        columns=[OverviewColumn(key=c.key, heading=c.heading, digits=c.digits) for c in shown],
        rows=rows,
        totals=totals,
    )


def registry() -> dict[str, Spec]:
    """The registered tables (name -> Spec), the guide's ones loaded."""
    from opsbook.reports import overview_tables  # noqa: F401 - registers the tables

    return REGISTRY


def tables(findings: Sequence[ReportFinding]) -> list[OverviewTable]:
    """Every registered table that has at least one row in `findings`, in registration order."""
    return [t for spec in registry().values() if (t := _table(spec, findings)) is not None]


def cell(value: Any, digits: int = 1) -> str:
    """A value as shown in every human-readable format: floats with thousands separators, and a float that
    rounds to zero shown as zero (`z`: a change of -0.04 % is `0.0`, not `-0.0`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:z,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def heading(table: OverviewTable) -> list[str]:
    first = ["check"] if table.by_check else []
    return first + ["status", "target", table.resource_heading] + [c.heading for c in table.columns]


def cells(table: OverviewTable, row: OverviewRow) -> list[str]:
    first = [row.check_id] if table.by_check else []
    values = [cell(row.values.get(c.key), c.digits) for c in table.columns]
    return first + [row.status, row.target, row.resource] + values


def total_cells(table: OverviewTable) -> list[str] | None:
    """The total row (`total` under the target heading), or None for a table without totals."""
    if table.totals is None:
        return None
    first = [""] if table.by_check else []
    sums = [cell(table.totals[c.key], c.digits) if c.key in table.totals else "" for c in table.columns]
    return first + ["", "total", ""] + sums
