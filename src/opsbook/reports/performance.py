"""The report's performance section: latency percentiles, CPU and slow statements the checks measured.

Checks keep their measurements in finding details; this section lifts the well-known ones into one
table so the guide's "generate performance report" is part of every run that measured something.
"""

from __future__ import annotations

from typing import Any

from opsbook.reports.markdown_text import cell, code
from opsbook.reports.model import Report

# detail key -> column heading, in the order shown
METRICS = {
    "latency_avg_ms": "latency avg ms",
    "latency_p50_ms": "p50 ms",
    "latency_p95_ms": "p95 ms",
    "latency_max_ms": "latency max ms",
    "cpu_avg": "CPU avg %",
    "cpu_max": "CPU max %",
    "error_rate_percent": "5XX %",
}


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def rows(report: Report) -> list[dict[str, Any]]:
    out = []
    for f in report.findings:
        d = f.details or {}
        measured = {k: d[k] for k in METRICS if d.get(k) is not None}
        top = d.get("top_statements") or []
        if not measured and not top:
            continue
        out.append(
            {
                "check": f.check_id,
                "target": f.target.key,
                "resource": f.resource_id,
                "status": f.status,
                "metrics": measured,
                "slowest": top[0] if top else None,
            }
        )
    return sorted(out, key=lambda r: (r["check"], r["target"], r["resource"]))


def render(report: Report) -> list[str]:
    found = rows(report)
    if not found:
        return []
    cols = [k for k in METRICS if any(k in r["metrics"] for r in found)]
    lines = ["", "## Performance", ""]
    if cols:
        lines.append("| check | target | resource | " + " | ".join(METRICS[c] for c in cols) + " |")
        lines.append("|---" * (3 + len(cols)) + "|")
        for r in found:
            if r["metrics"]:
                cells = " | ".join(cell(_fmt(r["metrics"].get(c))) for c in cols)
                lines.append(f"| `{r['check']}` | {cell(r['target'])} | {cell(r['resource'])} | {cells} |")
    slow = [r for r in found if r["slowest"]]
    if slow:
        lines += ["", "Slowest statements (7 days):", ""]
        for r in slow:
            st = r["slowest"]
            lines.append(
                f"- {cell(r['target'])} {cell(r['resource'])}: {cell(st.get('count', '?'))}x, "
                f"{_fmt(st.get('total_ms'))} ms total, {_fmt(st.get('max_ms'))} ms max: "
                + code(str(st.get("statement", ""))[:100])
            )
    return lines
