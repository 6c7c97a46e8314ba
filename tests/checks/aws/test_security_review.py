"""Pure tests of Monday's security review checks on hand-built inventories."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws.ec2_security_groups import references
from opsbook.collect.aws.security_models import (
    AccessAdvice,
    ConfigRecorder,
    ConfigRuleCompliance,
    ConfigState,
    GroupReference,
    GuardDutyFinding,
    GuardDutyState,
    Secret,
    SecurityGroupUse,
    ServiceUse,
)
from opsbook.core.models import Severity, Status
from tests.checks.helpers import NOW, by_status, run_check


def gd(fid: str, severity: float, days: int, updated_days: int | None = None) -> GuardDutyFinding:
    return GuardDutyFinding(
        id=fid,
        type=f"Type/{fid}",
        severity=severity,
        created_at=NOW - timedelta(days=days),
        updated_at=NOW - timedelta(days=updated_days if updated_days is not None else days),
    )


def test_guardduty_counts_by_severity_new_and_top() -> None:
    state = GuardDutyState(
        detector_id="d1",
        status="ENABLED",
        findings=[gd("a", 8.5, 2), gd("b", 5.0, 30, updated_days=1), gd("c", 2.0, 40), gd("d", 9.1, 10)],
    )
    (f,) = run_check("guardduty.findings", {"guardduty.state": state}, {"top": 2})
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert f.details["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 1}
    assert f.details["new"] == 1 and f.details["updated"] == 1
    assert [t["id"] for t in f.details["top"]] == ["a", "b"]  # as collected (most severe first there)
    (ok,) = run_check("guardduty.findings", {"guardduty.state": state}, {"min_severity": 9.5})
    assert ok.status is Status.PASS


def test_guardduty_absent_or_disabled_is_one_finding() -> None:
    (absent,) = run_check("guardduty.findings", {"guardduty.state": GuardDutyState()})
    assert absent.status is Status.FAIL and absent.details["api_enabled"] is False
    assert "not enabled" in absent.message
    (off,) = run_check(
        "guardduty.findings", {"guardduty.state": GuardDutyState(detector_id="d", status="DISABLED")}
    )
    assert off.status is Status.FAIL and "DISABLED" in off.message
    (clean,) = run_check(
        "guardduty.findings", {"guardduty.state": GuardDutyState(detector_id="d", status="ENABLED")}
    )
    assert clean.status is Status.PASS


def test_config_rules_and_stopped_recorder() -> None:
    state = ConfigState(
        recorders=[ConfigRecorder(name="default", recording=False)],
        rules=[
            ConfigRuleCompliance(name="ok", compliance="COMPLIANT"),
            ConfigRuleCompliance(
                name="ssh",
                compliance="NON_COMPLIANT",
                noncompliant_count=2,
                noncompliant=[
                    ("AWS::EC2::SecurityGroup", "sg-1", "22 open"),
                    ("AWS::EC2::SecurityGroup", "sg-2", ""),
                ],
            ),
        ],
    )
    s = by_status(run_check("config.noncompliant_rules", {"config.state": state}, {"max_resources": 1}))
    recorder, rule = s[Status.FAIL]
    assert recorder.details["api_enabled"] is False and "not recording" in recorder.message
    assert recorder.severity is Severity.HIGH
    assert rule.resource is not None and rule.resource.id == "ssh"
    assert rule.details["resources"] == [
        {"type": "AWS::EC2::SecurityGroup", "id": "sg-1", "annotation": "22 open"}
    ]
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["ok"]
    none = run_check("config.noncompliant_rules", {"config.state": ConfigState()})
    assert [f.status for f in none] == [Status.FAIL] and "no configuration recorder" in none[0].message


def test_unused_security_groups_skips_default() -> None:
    groups = [
        SecurityGroupUse(id="sg-d", name="default", interfaces=0),
        SecurityGroupUse(id="sg-u", name="used", interfaces=2),
        SecurityGroupUse(id="sg-x", name="orphan", interfaces=0),
    ]
    s = by_status(run_check("ec2.unused_security_groups", {"ec2.security_group_use": groups}))
    assert [f.resource.id for f in s[Status.FAIL] if f.resource] == ["sg-x"]
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["sg-u"]


def test_unused_security_groups_passes_a_group_another_groups_rule_references() -> None:
    ref = GroupReference(group_id="sg-app", group_name="app-sg", direction="ingress", protocol="tcp",
                         from_port=8080, to_port=8080)  # fmt: skip
    out = GroupReference(group_id="sg-db", direction="egress", protocol="-1")
    groups = [
        SecurityGroupUse(id="sg-jobs", name="jobs-sg", interfaces=0, referenced_by=(ref,)),
        SecurityGroupUse(id="sg-eg", name="egress-only", interfaces=0, referenced_by=(out,)),
        SecurityGroupUse(id="sg-x", name="orphan", interfaces=0),
    ]
    s = by_status(run_check("ec2.unused_security_groups", {"ec2.security_group_use": groups}))
    assert [f.resource.id for f in s[Status.FAIL] if f.resource] == ["sg-x"]
    passed = {f.resource.id: f for f in s[Status.PASS] if f.resource}
    assert set(passed) == {"sg-jobs", "sg-eg"}
    assert "sg-app (app-sg) ingress tcp 8080" in passed["sg-jobs"].message
    assert passed["sg-jobs"].details["referenced_by"] == ["sg-app (app-sg) ingress tcp 8080"]
    assert passed["sg-eg"].details["referenced_by"] == ["sg-db egress all traffic"]


def test_security_group_references_come_from_other_groups_rules_only() -> None:
    pair = {"UserIdGroupPairs": [{"GroupId": "sg-jobs", "UserId": "1"}]}
    groups = [
        {"GroupId": "sg-app", "GroupName": "app-sg",
         "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8099, **pair},
                           {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                            "UserIdGroupPairs": [{"GroupId": "sg-app"}]}]},
        {"GroupId": "sg-db", "IpPermissionsEgress": [{"IpProtocol": "-1", **pair}]},
        {"GroupId": "sg-jobs", "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-jobs"}]}]},
    ]  # fmt: skip
    refs = references(groups)
    assert [r.describe() for r in refs["sg-jobs"]] == [
        "sg-app (app-sg) ingress tcp 8000-8099",
        "sg-db egress all traffic",
    ]
    assert "sg-app" not in refs  # its own rule naming itself does not keep it in use


def test_access_advisor_unused_services_and_timeout() -> None:
    advice = [
        AccessAdvice(
            arn="arn:aws:iam::1:role/a",
            name="a",
            kind="role",
            job_id="j1",
            status="COMPLETED",
            services=[
                ServiceUse(namespace="s3", name="S3", last_authenticated=NOW - timedelta(days=3)),
                ServiceUse(namespace="ec2", name="EC2"),
                ServiceUse(namespace="iam", name="IAM", last_authenticated=NOW - timedelta(days=100)),
            ],
        ),
        AccessAdvice(
            arn="arn:aws:iam::1:user/u",
            name="u",
            kind="user",
            job_id="j2",
            status="COMPLETED",
            services=[ServiceUse(namespace="s3", name="S3", last_authenticated=NOW - timedelta(days=1))],
        ),
        AccessAdvice(
            arn="arn:aws:iam::1:role/slow",
            name="slow",
            kind="role",
            job_id="job-123",
            status="TIMEOUT",
            error="not complete after 1s",
        ),
    ]
    s = by_status(run_check("iam.unused_services", {"iam.access_advice": advice}))
    (fail,) = s[Status.FAIL]
    assert [u["service"] for u in fail.details["unused"]] == ["ec2", "iam"]
    assert [f.resource.name for f in s[Status.PASS] if f.resource] == ["u"]
    (err,) = s[Status.ERROR]
    assert "job-123" in err.message and err.details["job_id"] == "job-123"
    assert run_check("iam.unused_services", {"iam.access_advice": None}) == []  # not the primary region
    (loose,) = by_status(
        run_check("iam.unused_services", {"iam.access_advice": advice[:1]}, {"unused_days": 365})
    )[Status.FAIL]
    assert [u["service"] for u in loose.details["unused"]] == ["ec2"]


def secret(name: str, **kw: object) -> Secret:
    return Secret(arn=f"arn:{name}", name=name, created=NOW - timedelta(days=400), **kw)  # type: ignore[arg-type]


def test_secret_hygiene() -> None:
    secrets = [
        secret(
            "good",
            last_accessed=NOW - timedelta(days=1),
            rotation_enabled=True,
            last_rotated=NOW - timedelta(days=10),
        ),
        secret(
            "unused",
            last_accessed=NOW - timedelta(days=120),
            rotation_enabled=True,
            last_rotated=NOW - timedelta(days=1),
        ),
        secret("never", rotation_enabled=True, last_rotated=NOW - timedelta(days=1)),
        secret("norotation", last_accessed=NOW),
        secret("stale", last_accessed=NOW, rotation_enabled=True, last_rotated=NOW - timedelta(days=200)),
    ]
    s = by_status(run_check("secretsmanager.secret_hygiene", {"secretsmanager.secrets": secrets}))
    problems = {f.resource.id: f.details["problems"] for f in s[Status.FAIL] if f.resource}
    assert problems == {
        "unused": ["not accessed for 120 days"],
        "never": ["never accessed"],
        "norotation": ["rotation disabled"],
        "stale": ["last rotated 200 days ago"],
    }
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["good"]
    relaxed = run_check(
        "secretsmanager.secret_hygiene", {"secretsmanager.secrets": secrets[3:4]}, {"require_rotation": False}
    )
    assert relaxed[0].status is Status.PASS
