"""The monthly summary as Markdown (the guide's generate-monthly-report, End of Month)."""

from __future__ import annotations

from typing import Any

from opsbook.reports.markdown_text import cell as _cell


def render(summary: dict[str, Any]) -> str:
    runs, found = summary["runs"], summary["findings"]
    lines = [f"# opsbook monthly summary {summary['month']}", ""]
    lines += ["## Runs", ""]
    if not runs["total"]:
        lines.append("No runs recorded this month.")
    else:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(runs["by_status"].items()))
        lines.append(f"{runs['total']} runs ({statuses}).")
        lines += ["", "| scope | runs |", "|---|---|"]
        lines += [f"| {_cell(scope)} | {n} |" for scope, n in runs["by_scope"].items()]
    lines += ["", "## Findings", ""]
    lines.append(
        f"- opened: {found['opened']}  resolved: {found['resolved']}  still open at month end: "
        f"{found['open_at_end']}"
    )
    if found["opened_by_severity"]:
        lines.append(
            "- opened by severity: " + ", ".join(f"{s} {n}" for s, n in found["opened_by_severity"].items())
        )
    if found["open_by_severity"]:
        lines.append(
            "- open by severity: " + ", ".join(f"{s} {n}" for s, n in found["open_by_severity"].items())
        )
    lines += ["", "## Mean time to resolve", ""]
    mttr = summary["mean_time_to_resolve"]
    if not mttr:
        lines.append("Nothing was resolved this month.")
    else:
        lines += ["| severity | resolved | mean time to resolve |", "|---|---|---|"]
        lines += [f"| {sev} | {m['resolved']} | {_duration(m['mean_hours'])} |" for sev, m in mttr.items()]
    lines += ["", "## Top recurring checks", ""]
    top = summary["top_recurring_checks"]
    if not top:
        lines.append("No check failed this month.")
    else:
        lines += ["| check | failed runs | resources | severity |", "|---|---|---|---|"]
        lines += [
            f"| `{t['check_id']}` | {t['failed_runs']} | {t['resources']} | {t['severity']} |" for t in top
        ]
    lines += ["", "## Incidents", ""]
    lines += incident_lines(summary["incidents"], summary.get("incident_stats") or {})
    return "\n".join(lines) + "\n"


def incident_lines(incidents: list[dict[str, Any]], stats: dict[str, Any]) -> list[str]:
    """The month's incidents (the guide's incident-summary.sh): counts, mean times, one row each."""
    if not incidents:
        return ["No incidents recorded."]
    counts = ", ".join(f"{s} {n}" for s, n in (stats.get("by_severity") or {}).items())
    noun = "incident" if len(incidents) == 1 else "incidents"
    lines = [f"- {len(incidents)} {noun}" + (f" ({counts})" if counts else "")]
    for key, label in (("mean_time_to_detect_minutes", "mean time to detect"),
                       ("mean_time_to_resolve_minutes", "mean time to resolve (MTTR)")):  # fmt: skip
        if stats.get(key) is not None:
            lines.append(f"- {label}: {_duration(stats[key] / 60.0)}")
    lines += ["", "| incident | severity | title | status | time to detect | time to resolve |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for i in incidents:
        ttd, ttr = i.get("time_to_detect_minutes"), i.get("time_to_resolve_minutes")
        lines.append(
            f"| {_cell(i.get('id', ''))} | {i.get('severity', '')} | {_cell(i.get('title', ''))} | "
            f"{i.get('status', '')} | {_duration(ttd / 60.0) if ttd is not None else '-'} | "
            f"{_duration(ttr / 60.0) if ttr is not None else '-'} |"
        )
    return lines


def _duration(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
