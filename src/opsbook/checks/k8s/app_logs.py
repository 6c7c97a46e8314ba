"""Daily: application log review for the cluster's configured label selectors (`log_selectors`), like
`kubectl logs -l app=myapp --tail=100 --all-containers=true`: error-pattern counts and the top messages.

Messages are folded with checks/aws/log_review.py's `normalise`, and the default patterns are its.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.checks.aws.log_review import Settings as LogSettings
from opsbook.checks.aws.log_review import normalise
from opsbook.collect.k8s.models import SelectorLogs
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, TargetKind


class Settings(BaseModel):
    patterns: list[str] = Field(
        default_factory=lambda: list(LogSettings().patterns),
        description="regular expressions counted in the tailed lines (case-insensitive)",
    )
    max_errors: int = Field(0, ge=0, description="more matching lines than this (per selector) fails")
    top: int = Field(5, ge=1, le=50)


@check(
    id="k8s.app_log_errors",
    title="Error patterns in application logs (configured label selectors)",
    section="Daily Operations / Log Review",
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.app_logs",),
    permissions=("list pods", "get pods/log"),
    remediation="kubectl logs -l <selector> --tail=100 --all-containers=true; follow the top messages to their source",
    settings=Settings,
)
def app_log_errors(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    regexes = [re.compile(p, re.IGNORECASE) for p in s.patterns]
    logs: list[SelectorLogs] = ctx["k8s.app_logs"]
    for sel in logs:
        res = Resource(id=f"selector/{sel.selector}", type="LabelSelector", name=sel.selector)
        read = [t for t in sel.tails if t.error is None]
        if not read:
            yield ctx.skipped(
                f"logs -l {sel.selector}: no readable pod logs ({sel.matched_pods} pods matched)", res
            )
            continue
        per_pattern: Counter[str] = Counter()
        top: Counter[str] = Counter()
        lines = 0
        for tail in read:
            lines += len(tail.lines)
            for line in tail.lines:
                hits = [r.pattern for r in regexes if r.search(line)]
                if hits:
                    per_pattern.update(hits)
                    top[normalise(line)] += 1
        matched = sum(top.values())
        info: dict[str, Any] = {
            "pods": sorted({f"{t.namespace}/{t.pod}" for t in read}),
            "matched_pods": sel.matched_pods,
            "lines": lines,
            "matching_lines": matched,
            "by_pattern": dict(per_pattern),
            "top_messages": [{"message": k, "count": v} for k, v in top.most_common(s.top)],
            "truncated": sel.truncated,
        }
        if matched > s.max_errors:
            yield ctx.failed(f"logs -l {sel.selector}: {matched} error lines in the last {lines} lines; top: "
                             f"{top.most_common(1)[0][0]}", res, None, **info)  # fmt: skip
        else:
            yield ctx.passed(f"logs -l {sel.selector}: no error lines in the last {lines} lines", res, **info)
