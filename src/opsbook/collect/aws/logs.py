"""Log review: the last hour of the EKS control-plane, Lambda and VPC flow log groups (bounded)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsbook.collect.aws.models import LogSample
from opsbook.core.collectors import CollectContext, collector

MAX_EVENTS_PER_GROUP = 5000


def group_kind(name: str) -> str | None:
    if name.startswith("/aws/eks/") and name.endswith("/cluster"):
        return "eks"
    if name.startswith("/aws/lambda/"):
        return "lambda"
    if "flowlog" in name.replace("-", "").lower():
        return "vpc-flow"
    return None


@collector("logs.last_hour", permissions=("logs:DescribeLogGroups", "logs:FilterLogEvents"))
def last_hour(ctx: CollectContext) -> list[LogSample]:
    logs = ctx.client("logs")
    start = int((ctx.now - timedelta(hours=1)).timestamp() * 1000)
    end = int(ctx.now.timestamp() * 1000)
    out: list[LogSample] = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        for g in page.get("logGroups", []):
            kind = group_kind(g["logGroupName"])
            if kind is None:
                continue
            messages: list[str] = []
            truncated = False
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {
                    "logGroupName": g["logGroupName"],
                    "startTime": start,
                    "endTime": end,
                }
                if token:
                    kwargs["nextToken"] = token
                resp = logs.filter_log_events(**kwargs)
                messages.extend(e.get("message", "") for e in resp.get("events", []))
                token = resp.get("nextToken")
                if len(messages) >= MAX_EVENTS_PER_GROUP:
                    truncated = bool(token) or len(messages) > MAX_EVENTS_PER_GROUP
                    messages = messages[:MAX_EVENTS_PER_GROUP]
                    break
                if not token:
                    break
            out.append(LogSample(group=g["logGroupName"], kind=kind, messages=messages, truncated=truncated))
    return out
