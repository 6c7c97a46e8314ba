"""What an AWS Config recorder records, from its recording group as DescribeConfigurationRecorders returns
it: every supported type (IAM's global types only with includeGlobalResourceTypes), every type but an
exclusion list, or a list of types. Read by the drift collector and by the sandbox's Config query."""

from __future__ import annotations

from typing import Any


def records(recorder: dict[str, Any], rtype: str) -> bool:
    group = recorder.get("recordingGroup") or {}
    strategy = (group.get("recordingStrategy") or {}).get("useOnly", "")
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return rtype not in (group.get("exclusionByResourceTypes") or {}).get("resourceTypes", [])
    if group.get("allSupported") or strategy == "ALL_SUPPORTED_RESOURCE_TYPES":
        return not rtype.startswith("AWS::IAM::") or bool(group.get("includeGlobalResourceTypes"))
    return rtype in (group.get("resourceTypes") or [])
