"""AWS Config compliance (moto stores rules and recorders but evaluates nothing), from seeded data.

Rules come from moto's backend (created through PutConfigRule); each rule's evaluation results come from
`data.extra["config"][account_id][rule name]` = list of (resource type, resource id, annotation) that are
NON_COMPLIANT (an empty list: COMPLIANT; a rule without an entry: INSUFFICIENT_DATA).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "config"


def rule_names(call: Call) -> list[str]:
    from moto.config.models import config_backends

    return sorted(config_backends[call.account_id][call.region].config_rules)


def evaluated_at(call: Call) -> float:
    """When the rules last evaluated: now while a recorder records, else when the last one stopped."""
    from moto.config.models import config_backends

    statuses = [r.status for r in config_backends[call.account_id][call.region].recorders.values()]
    if any(s.recording for s in statuses):
        return datetime.now(UTC).timestamp()
    stops = [s.last_stop_time for s in statuses if s.last_stop_time]
    return float(max(stops)) if stops else datetime.now(UTC).timestamp()


def results(call: Call, data: SandboxData) -> dict[str, list[Any]]:
    return data.extra.get(SERVICE, {}).get(call.account_id, {})


def describe_compliance_by_config_rule(call: Call, data: SandboxData) -> Response:
    body = call.json()
    wanted_names = set(body.get("ConfigRuleNames") or [])
    wanted_types = set(body.get("ComplianceTypes") or [])
    seeded = results(call, data)
    out = []
    for name in rule_names(call):
        if wanted_names and name not in wanted_names:
            continue
        if name not in seeded:
            compliance: dict[str, Any] = {"ComplianceType": "INSUFFICIENT_DATA"}
        elif seeded[name]:
            n = len(seeded[name])
            compliance = {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {"CappedCount": min(n, 100), "CapExceeded": n > 100},
            }
        else:
            compliance = {"ComplianceType": "COMPLIANT"}
        if wanted_types and compliance["ComplianceType"] not in wanted_types:
            continue
        out.append({"ConfigRuleName": name, "Compliance": compliance})
    return json_response({"ComplianceByConfigRules": out})


def get_compliance_details_by_config_rule(call: Call, data: SandboxData) -> Response:
    body = call.json()
    name = body.get("ConfigRuleName", "")
    if name not in rule_names(call):
        return json_error(
            "NoSuchConfigRuleException", f"The ConfigRule '{name}' provided in the request is invalid."
        )
    wanted = set(body.get("ComplianceTypes") or ["NON_COMPLIANT", "COMPLIANT"])
    rows = results(call, data).get(name, []) if "NON_COMPLIANT" in wanted else []
    now = evaluated_at(call)
    start = int(body.get("NextToken") or 0)
    size = int(body.get("Limit") or 100)
    page = rows[start : start + size]
    evaluations = [
        {
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {
                    "ConfigRuleName": name,
                    "ResourceType": rtype,
                    "ResourceId": rid,
                },
                "OrderingTimestamp": now,
            },
            "ComplianceType": "NON_COMPLIANT",
            "ResultRecordedTime": now,
            "ConfigRuleInvokedTime": now,
            "Annotation": note,
        }
        for rtype, rid, note in page
    ]
    out: dict[str, Any] = {"EvaluationResults": evaluations}
    if start + size < len(rows):
        out["NextToken"] = str(start + size)
    return json_response(out)


HANDLERS = {
    "DescribeComplianceByConfigRule": describe_compliance_by_config_rule,
    "GetComplianceDetailsByConfigRule": get_compliance_details_by_config_rule,
}
