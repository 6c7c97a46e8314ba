"""Monday: AWS Config rules that are non-compliant, with their non-compliant resources."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.security_models import ConfigState
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    max_resources: int = Field(20, ge=1, le=100, description="non-compliant resources named per rule")


@check(
    id="config.noncompliant_rules",
    title="AWS Config rules non-compliant",
    section="Weekly Tasks / Monday: Security Review",
    cadence=("weekly:monday",),
    severity=Severity.MEDIUM,
    needs=("config.state",),
    permissions=(
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeComplianceByConfigRule",
        "config:GetComplianceDetailsByConfigRule",
    ),
    remediation="aws configservice describe-compliance-by-config-rule; fix each resource or the rule; "
    "start a stopped recorder: aws configservice start-configuration-recorder --configuration-recorder-name <name>",
    settings=Settings,
)
def noncompliant_rules(ctx: CheckContext) -> Iterable[Finding]:
    state: ConfigState = ctx["config.state"]
    region = ctx.target.region or ""
    recording = [r for r in state.recorders if r.recording]
    if not recording:
        names = [r.name for r in state.recorders]
        why = f"recorder {', '.join(names)} is stopped" if names else "no configuration recorder"
        yield ctx.failed(
            f"AWS Config is not recording in {region}: {why}",
            Resource(id=names[0] if names else f"config:{region}", type="AWS::Config::ConfigurationRecorder"),
            Severity.HIGH,
            api_enabled=False,
            recorders=names,
        )
    for rule in state.rules:
        res = Resource(id=rule.name, type="AWS::Config::ConfigRule")
        if rule.compliance != "NON_COMPLIANT":
            yield ctx.passed(f"Config rule {rule.name} is {rule.compliance}", res, compliance=rule.compliance)
            continue
        shown = rule.noncompliant[: ctx.settings.max_resources]
        count = f"{rule.noncompliant_count}{'+' if rule.capped else ''}"
        yield ctx.failed(
            f"Config rule {rule.name}: {count} non-compliant resources, e.g. "
            + ", ".join(f"{t} {i}" for t, i, _ in shown[:3]),
            res,
            None,
            compliance=rule.compliance,
            noncompliant_count=rule.noncompliant_count,
            resources=[{"type": t, "id": i, "annotation": a} for t, i, a in shown],
        )
