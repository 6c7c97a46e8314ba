"""Both drift checks against the sandbox (real boto3 over HTTP): prod's manual changes are found with their
state -> live values and CloudTrail's who/when, dev matches its state (zero drift), staging's tagged database
no state holds and the unmanaged resources are found; each state object is read once per run."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Finding, Status
from opsbook.engine import service
from opsbook.engine.runner import prepare_checks
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.tfstate_aws import CHANGED_BY, GONE_VOLUME, MANUAL_RULE, NODEGROUP_APPLIED
from opsbook.sandbox.estate import CLUSTER, account

pytestmark = pytest.mark.usefixtures("sandbox")
CHECKS = ["drift.state_vs_live", "drift.unmanaged"]


@pytest.fixture(scope="module")
def findings(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    cfg = Config.model_validate(sandbox.config()).model_copy(update={"source": "(sandbox)"})
    result = service.run(cfg, service.RunRequest(check_ids=CHECKS), store_enabled=False)
    assert not result.failed_targets and not [f for f in result.findings if f.status is Status.ERROR]
    # one read of each state object: vpc, eks, rds, platform, opsbook-access, + rds/reporting in staging,
    # + dns in dev
    objects = {"dev": 6, "staging": 6, "prod": 5}
    for target, calls in result.api_calls.items():
        if target.startswith("aws:"):
            acct = next(a for a in objects if f":{a}:" in f"{target}:" or f":{a}/" in target)
            assert calls["s3:ListObjectsV2"] == 1 and calls["s3:GetObject"] == objects[acct], (target, calls)
    return result.findings


def of(findings: list[Finding], check: str, acct: str, status: Status = Status.FAIL) -> list[Finding]:
    return [f for f in findings if f.check_id == check and f.target.account == acct and f.status is status]


def test_prod_manual_changes_are_found_with_state_and_live_values_and_who(
    findings: list[Finding], sandbox: Any
) -> None:
    prod = clients_for(sandbox.aws_url, account("prod"))
    drifted = {f.details["address"]: f for f in of(findings, "drift.state_vs_live", "prod")}
    assert set(drifted) == {"aws_security_group.my_database", "aws_eks_node_group.application",
                            "aws_s3_bucket_versioning.assets", "aws_ebs_volume.scratch"}  # fmt: skip
    group = drifted["aws_security_group.my_database"]
    proto, port, cidr = MANUAL_RULE
    live_rules = group.details["attributes"]["ingress"][1]
    assert f"{proto}:{port}-{port}:{cidr}" in live_rules
    assert f"{proto}:{port}-{port}:{cidr}" not in group.details["attributes"]["ingress"][0]
    sg = prod("ec2").describe_security_groups(GroupIds=[group.resource.id])["SecurityGroups"][0]  # type: ignore[union-attr]
    assert [r["CidrIp"] for p in sg["IpPermissions"] for r in p["IpRanges"]] == [cidr]

    name, more = NODEGROUP_APPLIED
    live_size = prod("eks").describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"][
        "scalingConfig"
    ]
    assert drifted["aws_eks_node_group.application"].details["attributes"] == {
        "desired_size": [live_size["desiredSize"] + more, live_size["desiredSize"]]}  # fmt: skip
    assert prod("s3").get_bucket_versioning(Bucket="mycompany-prod-assets")["Status"] == "Suspended"
    assert drifted["aws_s3_bucket_versioning.assets"].details["attributes"] == {
        "status": ["Enabled", "Suspended"]}  # fmt: skip
    gone = drifted["aws_ebs_volume.scratch"]
    assert gone.resource is not None and gone.resource.id == GONE_VOLUME and "gone live" in gone.message
    for f in drifted.values():  # who and when, from CloudTrail's LookupEvents
        assert f.details["changed_by"] == CHANGED_BY and f.details["changed_at"] and f.details["event"]
        assert (f.details["stack"], f.details["component"]) == ("mycompany-prod-use1", "platform")
    assert drifted["aws_ebs_volume.scratch"].details["event"] == "DeleteVolume"


def test_an_account_that_matches_its_state_has_zero_drift(findings: list[Finding]) -> None:
    assert of(findings, "drift.state_vs_live", "dev") == []
    assert of(findings, "drift.state_vs_live", "staging") == []
    passed = {f.details["address"] for f in of(findings, "drift.state_vs_live", "dev", Status.PASS)}
    assert {"aws_security_group.my_database", "aws_eks_node_group.application", "aws_s3_bucket_versioning.assets",
            "aws_vpc_security_group_ingress_rule.alb_https", "aws_iam_role_policy_attachment.app_deploy_s3",
            "aws_db_instance.main", "aws_lb.web", "aws_instance.web"} <= passed  # fmt: skip


def test_unmanaged_resources_of_both_kinds(findings: list[Finding]) -> None:
    staging = {(f.resource.type, f.resource.id): f.details["kind"]
               for f in of(findings, "drift.unmanaged", "staging") if f.resource}  # fmt: skip
    assert staging[("aws_db_instance", "my-database-reporting")] == "tagged_no_state"
    assert staging[("aws_iam_role", "eks-node")] == "unmanaged"
    prod = {(f.resource.type, f.resource.id) for f in of(findings, "drift.unmanaged", "prod") if f.resource}
    assert ("aws_iam_role", "legacy-admin") in prod and ("aws_db_instance", "my-database") not in prod
    assert not [k for k in prod if k[0] == "aws_security_group" and k[1] == "default"]


def unmanaged_seen(findings: list[Finding], acct: str) -> set[tuple[object, ...]]:
    return {(f.status, f.resource.type, f.resource.id, f.details.get("kind"), f.message)
            for f in findings if f.check_id == "drift.unmanaged" and f.target.account == acct and f.resource}  # fmt: skip


def test_unmanaged_reads_aws_config_where_it_records_else_the_tagging_api(findings: list[Finding]) -> None:
    """dev and prod record with AWS Config (seeds/security.py), staging's recorder is stopped."""
    sources = {(f.target.account, f.details["source"], f.details.get("note"))
               for f in findings if f.check_id == "drift.unmanaged"}  # fmt: skip
    stopped = "AWS Config is not recording in this region; used the tagging API"
    assert sources == {("dev", "config", None), ("prod", "config", None), ("staging", "tagging", stopped)}


def test_config_denied_falls_back_to_the_tagging_api_with_the_same_findings(
    findings: list[Finding], sandbox: Any
) -> None:
    prod = account("prod")
    cfg = Config.model_validate(sandbox.config()).model_copy(update={"source": "(sandbox)"})
    sandbox.data.deny(prod.id, "config:SelectResourceConfig")
    try:
        result = service.run(
            cfg, service.RunRequest(check_ids=["drift.unmanaged"], accounts=["prod"]), store_enabled=False
        )
    finally:
        sandbox.data.denied.discard((prod.id, "config:SelectResourceConfig"))
    assert not result.failed_targets and {f.status for f in result.findings} <= {Status.PASS, Status.FAIL}
    notes = {(f.details["source"], f.details["note"]) for f in result.findings}
    assert notes == {("tagging", "AWS Config: AccessDeniedException: User is not authorized to perform: "
                                 "config:SelectResourceConfig; used the tagging API")}  # fmt: skip
    assert unmanaged_seen(result.findings, "prod") == unmanaged_seen(findings, "prod")
    assert len(unmanaged_seen(findings, "prod")) > 5


def test_unmanaged_runs_only_when_enabled(sandbox: Any) -> None:
    from opsbook.core.checks import CHECKS as REGISTRY

    specs = [REGISTRY.get(c) for c in CHECKS]
    off = Config.model_validate(sandbox.config() | {"checks": {}})
    assert [p.spec.id for p in prepare_checks(off, specs)] == ["drift.state_vs_live"]
    assert [p.spec.id for p in prepare_checks(Config.model_validate(sandbox.config()), specs)] == CHECKS


def test_naming_an_opt_in_check_opts_in_unless_the_config_turns_it_off(sandbox: Any) -> None:
    """`opsbook run --check drift.unmanaged` runs it with no config line; `enabled: false` still wins."""
    from opsbook.engine.service import opt_in_named

    specs = [registry_spec("drift.unmanaged")]
    silent = Config.model_validate(sandbox.config() | {"checks": {}})
    assert [p.spec.id for p in prepare_checks(opt_in_named(silent, specs, set()), specs)] == []
    named = opt_in_named(silent, specs, {"drift.unmanaged"})
    assert [p.spec.id for p in prepare_checks(named, specs)] == ["drift.unmanaged"]
    off = Config.model_validate(sandbox.config() | {"checks": {"drift.unmanaged": {"enabled": False}}})
    assert prepare_checks(opt_in_named(off, specs, {"drift.unmanaged"}), specs) == []


def registry_spec(cid: str) -> Any:
    from opsbook.core.checks import CHECKS as REGISTRY

    return REGISTRY.get(cid)


def test_an_account_the_settings_leave_out_is_not_listed(sandbox: Any) -> None:
    """`accounts: [prod]`: dev's target asks neither Config nor the tagging API, and reports nothing."""
    raw = sandbox.config()
    raw["checks"]["drift.unmanaged"] = {"enabled": True, "accounts": ["prod"]}
    cfg = Config.model_validate(raw).model_copy(update={"source": "(sandbox)"})
    request = service.RunRequest(check_ids=["drift.unmanaged"], accounts=["dev", "prod"])
    result = service.run(cfg, request, store_enabled=False)
    assert {f.target.account for f in result.findings} == {"prod"}
    calls = {t.split("/")[0]: c for t, c in result.api_calls.items() if t.startswith("aws:")}
    assert not [k for k in calls["aws:dev"] if k.startswith(("config:", "tag:"))], calls["aws:dev"]
    assert calls["aws:prod"]["config:SelectResourceConfig"] == 1
