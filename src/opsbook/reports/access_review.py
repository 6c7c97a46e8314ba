"""The access review (`opsbook review access`) as sections of rows, and as Markdown."""

from __future__ import annotations

from typing import Any

from opsbook.reports.markdown_text import cell

# (title, key in the review document, columns)
SECTIONS = (
    ("IAM users", "users", ("account", "user", "status", "console", "last_login", "mfa", "access_keys", "groups",
                            "policies", "last_activity")),
    ("IAM roles", "roles", ("account", "role", "status", "last_used", "policies")),
    ("Kubernetes bindings", "bindings", ("cluster", "binding", "role", "subjects", "grants", "iam_principals",
                                         "status")),
    ("aws-auth mappings", "aws_auth", ("cluster", "iam_principal", "username", "groups", "status")),
)  # fmt: skip


def text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def sections(doc: dict[str, Any]) -> list[tuple[str, tuple[str, ...], list[list[str]]]]:
    return [
        (title, cols, [[text(r.get(c)) for c in cols] for r in doc[key]]) for title, key, cols in SECTIONS
    ]


def markdown(doc: dict[str, Any]) -> str:
    lines = ["# Access review", ""]
    for title, cols, rows in sections(doc):
        lines += [f"## {title} ({len(rows)})", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
        lines.append("")
    if doc["errors"]:
        lines += ["## Not readable", ""] + [
            f"- {e['target']} {e['check']}: {cell(e['message'])}" for e in doc["errors"]
        ]
    return "\n".join(lines) + "\n"
