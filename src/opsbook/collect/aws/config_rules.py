"""AWS Config: recorder status, compliance by rule, and the non-compliant resources of each failing rule."""

from __future__ import annotations

from typing import Any

from opsbook.collect.aws.security_models import ConfigRecorder, ConfigRuleCompliance, ConfigState
from opsbook.core.collectors import CollectContext, collector

MAX_RESOURCES_PER_RULE = 100


@collector("config.compliance_by_rule", permissions=("config:DescribeComplianceByConfigRule",))
def compliance_by_rule(ctx: CollectContext) -> list[dict[str, Any]]:
    """DescribeComplianceByConfigRule as AWS returns it (the guide saves it as compliance-YYYYMM.json)."""
    out: list[dict[str, Any]] = []
    for page in ctx.client("config").get_paginator("describe_compliance_by_config_rule").paginate():
        out.extend(page.get("ComplianceByConfigRules", []))
    return out


def noncompliant_resources(cfg: Any, rule: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    pages = cfg.get_paginator("get_compliance_details_by_config_rule").paginate(
        ConfigRuleName=rule, ComplianceTypes=["NON_COMPLIANT"], PaginationConfig={"PageSize": 100}
    )
    for page in pages:
        for r in page.get("EvaluationResults", []):
            q = r.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
            out.append((q.get("ResourceType", ""), q.get("ResourceId", ""), r.get("Annotation", "")))
        if len(out) >= MAX_RESOURCES_PER_RULE:
            return out[:MAX_RESOURCES_PER_RULE]
    return out


@collector(
    "config.state",
    permissions=("config:DescribeConfigurationRecorderStatus", "config:GetComplianceDetailsByConfigRule"),
    deps=("config.compliance_by_rule",),
)
def state(ctx: CollectContext) -> ConfigState:
    cfg = ctx.client("config")
    recorders = [
        ConfigRecorder(name=r["name"], recording=bool(r.get("recording")), last_status=r.get("lastStatus"))
        for r in cfg.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    ]
    rules: list[ConfigRuleCompliance] = []
    for item in ctx.get("config.compliance_by_rule"):
        compliance = item.get("Compliance", {})
        kind = compliance.get("ComplianceType", "INSUFFICIENT_DATA")
        count = compliance.get("ComplianceContributorCount", {})
        bad = noncompliant_resources(cfg, item["ConfigRuleName"]) if kind == "NON_COMPLIANT" else []
        rules.append(
            ConfigRuleCompliance(
                name=item["ConfigRuleName"],
                compliance=kind,
                noncompliant_count=int(count.get("CappedCount", len(bad))),
                capped=bool(count.get("CapExceeded")),
                noncompliant=bad,
            )
        )
    return ConfigState(recorders=recorders, rules=rules)
