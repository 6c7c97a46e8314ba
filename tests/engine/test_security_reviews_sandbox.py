"""Monday's security review, Tuesday's backup verification and the monthly security audit (AWS checks)
against the sandbox over HTTP: every check passes and fails somewhere, disabled services are findings,
the access advisor's bounded wait, the IAM export, and one listing per target."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.core import exports
from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.sandbox.estate import account as sandbox_account

MONDAY = [
    "guardduty.findings",
    "config.noncompliant_rules",
    "iam.unused_services",
    "ec2.unused_security_groups",
    "secretsmanager.secret_hygiene",
]
TUESDAY = ["rds.snapshot_missing", "s3.critical_bucket_replication"]
AUDIT = [
    "iam.overprivileged",
    "iam.console_without_mfa",
    "iam.access_key_age",
    "acm.certificate_expiry",
    "secretsmanager.rotation_due",
]
ALL = MONDAY + TUESDAY + AUDIT


def config_for(sandbox: Any, tmp: Path, checks: dict[str, Any] | None = None) -> Config:
    cfg = Config.model_validate(sandbox.config(f"sqlite:///{tmp}/opsbook.db"))
    return cfg.model_copy(update={"source": "(sandbox)", "checks": checks or {}})


@pytest.fixture(scope="module")
def result(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> service.RunResult:
    return service.run(config_for(sandbox, tmp_path_factory.mktemp("sec")), service.RunRequest(check_ids=ALL))


@pytest.mark.parametrize("check_id", ALL)
def test_each_check_passes_and_fails_in_the_sandbox(result: service.RunResult, check_id: str) -> None:
    statuses = {f.status for f in result.findings if f.check_id == check_id}
    assert {Status.PASS, Status.FAIL} <= statuses, f"{check_id}: {statuses}"
    assert Status.ERROR not in statuses


def test_what_fails_where(result: service.RunResult) -> None:
    fails = {
        (f.check_id, f.target.account, f.resource.name or f.resource.id if f.resource else "")
        for f in result.findings
        if f.status is Status.FAIL
    }
    assert ("iam.overprivileged", "prod", "legacy-admin") in fails
    assert ("iam.overprivileged", "prod", "ci-runner") in fails
    assert ("iam.console_without_mfa", "prod", "bob") in fails
    assert ("acm.certificate_expiry", "prod", "api.example.com") in fails
    assert ("s3.critical_bucket_replication", "staging", "my-bucket-staging") in fails
    assert ("rds.snapshot_missing", "prod", "my-database") in fails
    assert ("secretsmanager.rotation_due", "prod", "my-app/db-password") in fails
    assert not [f for f in fails if f[0] == "iam.overprivileged" and f[1] == "dev"]


def test_a_security_group_only_another_groups_rule_references_is_in_use(result: service.RunResult) -> None:
    groups = {
        f.resource.name: f
        for f in result.findings
        if f.check_id == "ec2.unused_security_groups" and f.target.account == "prod" and f.resource
    }
    assert groups["legacy-sg"].status is Status.FAIL
    jobs = groups["jobs-sg"]
    assert jobs.status is Status.PASS and jobs.details["interfaces"] == 0
    assert [r.split(" ", 1)[1] for r in jobs.details["referenced_by"]] == ["(app-sg) ingress tcp 8080"]


def test_disabled_services_are_their_own_finding_not_errors(result: service.RunResult) -> None:
    staging = {
        f.check_id: f
        for f in result.findings
        if f.target.account == "staging" and f.details.get("api_enabled") is False
    }
    assert "GuardDuty is not enabled" in staging["guardduty.findings"].message
    assert "not recording" in staging["config.noncompliant_rules"].message
    assert all(f.status is Status.FAIL for f in staging.values())
    gd_prod = [
        f for f in result.findings if f.check_id == "guardduty.findings" and f.target.account == "prod"
    ]
    assert gd_prod[0].details["by_severity"]["high"] == 1 and gd_prod[0].details["new"] == 1
    assert gd_prod[0].details["total"] == 3  # the archived finding is left out


def test_each_listing_once_per_target(result: service.RunResult) -> None:
    once = (
        "GetAccountAuthorizationDetails",
        "GetCredentialReport",
        "DescribeSecurityGroups",
        "DescribeNetworkInterfaces",
        "ListSecrets",  # read by a weekly and a monthly check
        "DescribeDBSnapshots",
        "ListCertificates",
        "ListBuckets",
        "DescribeComplianceByConfigRule",
    )
    assert {t for t in result.api_calls if t.startswith("aws:")} == {
        "aws:dev/us-east-1",
        "aws:staging/us-east-1",
        "aws:prod/us-east-1",
    }
    for target, calls in result.api_calls.items():
        if not target.startswith("aws:"):
            continue
        for op in once:
            assert [n for name, n in calls.items() if name.endswith(":" + op)] == [1], (
                f"{target} {op}: {calls}"
            )


def test_iam_export_is_collected_for_saving_beside_the_report(result: service.RunResult) -> None:
    assert exports.filename("iam.authorization_export", datetime(2026, 12, 1)) == "iam-audit-202612.json"
    saved = result.extras["exports"]["iam.authorization_export"]
    assert set(saved) == {"aws:dev/us-east-1", "aws:staging/us-east-1", "aws:prod/us-east-1"}
    roles = {r["RoleName"] for r in saved["aws:prod/us-east-1"]["RoleDetailList"]}
    assert {"legacy-admin", "ci-runner", "app-deploy"} <= roles
    assert not any("iam.authorization_export" in str(f.details) for f in result.findings)  # not in findings


def test_access_advisor_poll_timeout_is_error_naming_the_job(sandbox: Any, tmp_path: Path) -> None:
    prod = sandbox_account("prod").id
    state = sandbox.data.extra["iam"][prod]
    state["stuck"] = True
    try:
        cfg = config_for(
            sandbox,
            tmp_path,
            {"iam.unused_services": {"poll_timeout_seconds": 0.05, "poll_interval_seconds": 0.01}},
        )
        out = service.run(cfg, service.RunRequest(check_ids=["iam.unused_services"], accounts=["prod"]))
    finally:
        state.pop("stuck")
    assert out.findings and all(f.status is Status.ERROR for f in out.findings)
    for f in out.findings:
        assert f.details["job_id"] in f.message and f.details["job_status"] == "TIMEOUT"
        assert f.message.startswith("access advisor job ")


def test_denied_config_is_error_for_that_check_only(sandbox: Any, tmp_path: Path) -> None:
    prod = sandbox_account("prod").id
    sandbox.data.deny(prod, "config:DescribeConfigurationRecorderStatus")
    try:
        out = service.run(
            config_for(sandbox, tmp_path),
            service.RunRequest(
                check_ids=["config.noncompliant_rules", "ec2.unused_security_groups"], accounts=["prod"]
            ),
        )
    finally:
        sandbox.data.denied.discard((prod, "config:DescribeConfigurationRecorderStatus"))
    by_check = {f.check_id: f for f in out.findings if f.status is Status.ERROR}
    assert set(by_check) == {"config.noncompliant_rules"}
    assert (
        by_check["config.noncompliant_rules"].details["missing_permission"]
        == "config:DescribeConfigurationRecorderStatus"
    )
