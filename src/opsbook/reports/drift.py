"""The drift report as Markdown (`opsbook drift report`, beside its JSON): per stack and component, each
instance's state with the attributes that drifted. Values come from Terraform and the live estate, so they
go through markdown_text: a tag value like `<script>` or `![x](url)` reaches a PR or wiki as text."""

from __future__ import annotations

from typing import Any

from opsbook.engine.drift import STATES
from opsbook.reports.markdown_text import cell, code


def render_markdown(report: dict[str, Any]) -> str:
    c = report["counts"]
    since = report["previous_run_started_at"] or "no earlier run"
    lines = [
        f"# Drift report {cell(report['run_started_at'][:10])}",
        "",
        f"Run {code(report['run_id'])} compared with {cell(since)}: {c['new']} new, {c['still_drifting']} still "
        f"drifting, {c['resolved']} resolved, {c['errors']} could not be checked, {c['ignored']} ignored.",
    ]
    for stack, components in report["stacks"].items():
        lines += ["", f"## {cell(stack)}"]
        for component, entries in components.items():
            file = entries[0].get("file")
            lines += ["", f"### {cell(component)}" + (f" ({code(file)})" if file else ""), ""]
            for key, title in STATES:
                for e in (e for e in entries if e["state"] == key):
                    attrs = ", ".join(f"{code(k)} {cell(repr(v[0]))} -> {cell(repr(v[1]))}"
                                      for k, v in e["attributes"].items())  # fmt: skip
                    why = "; ".join(
                        f"{cell(i['reason'])} (until {cell(i['until'])})" for i in e.get("ignored", [])
                    )
                    text = attrs or cell(e["message"])
                    lines.append(f"- **{title}** {code(e['address'])} {cell(e.get('action') or '')}: {text}"
                                 + (f" — ignored: {why}" if why else ""))  # fmt: skip
    return "\n".join(lines) + "\n"
