"""Daily: error patterns in the last hour of EKS, Lambda and VPC flow logs, with the top messages."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import LogSample
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bERROR\b",
            r"\bException\b",
            r"\bFATAL\b",
            r"\btimed? ?out\b",
            r"\bpanic\b",
        ],
        description="regular expressions counted in EKS and Lambda logs (case-insensitive)",
    )
    max_errors: int = Field(0, ge=0, description="more matching lines than this in an hour fails")
    max_rejects: int = Field(100, ge=0, description="more VPC flow log REJECT records than this fails")
    top: int = Field(5, ge=1, le=50)


def normalise(message: str) -> str:
    """Fold numbers and ids so that the same message with other values counts as one."""
    text = re.sub(r"\b[0-9a-f]{8,}\b", "<id>", message.strip())
    return re.sub(r"\d+", "<n>", text)[:200]


@check(
    id="logs.error_patterns",
    title="Error patterns in EKS, Lambda and VPC flow logs over the last hour",
    section="Daily Operations / Log Review",
    cadence=("daily",),
    severity=Severity.MEDIUM,
    needs=("logs.last_hour",),
    permissions=("logs:DescribeLogGroups", "logs:FilterLogEvents"),
    remediation="aws logs tail <group> --since 1h; follow the top messages to their source",
    settings=Settings,
)
def error_patterns(ctx: CheckContext) -> Iterable[Finding]:
    s = ctx.settings
    regexes = [re.compile(p, re.IGNORECASE) for p in s.patterns]
    samples: list[LogSample] = ctx["logs.last_hour"]
    for sample in samples:
        res = Resource(id=sample.group, type="AWS::Logs::LogGroup")
        if sample.kind == "vpc-flow":
            rejects = sum(1 for m in sample.messages if " REJECT " in f" {m} ")
            flow = {"rejects": rejects, "records": len(sample.messages), "truncated": sample.truncated}
            if rejects > s.max_rejects:
                yield ctx.failed(f"{sample.group}: {rejects} REJECT records in the last hour", res, **flow)
            else:
                yield ctx.passed(f"{sample.group}: {rejects} REJECT records in the last hour", res, **flow)
            continue
        per_pattern: Counter[str] = Counter()
        top: Counter[str] = Counter()
        for m in sample.messages:
            hits = [r.pattern for r in regexes if r.search(m)]
            if hits:
                per_pattern.update(hits)
                top[normalise(m)] += 1
        matched = sum(top.values())
        info: dict[str, Any] = {
            "matching_lines": matched,
            "lines": len(sample.messages),
            "by_pattern": dict(per_pattern),
            "top_messages": [{"message": k, "count": v} for k, v in top.most_common(s.top)],
            "truncated": sample.truncated,
        }
        if matched > s.max_errors:
            first = top.most_common(1)[0][0]
            yield ctx.failed(
                f"{sample.group}: {matched} error lines in the last hour; top: {first}", res, **info
            )
        else:
            yield ctx.passed(f"{sample.group}: no error lines in the last hour", res, **info)
