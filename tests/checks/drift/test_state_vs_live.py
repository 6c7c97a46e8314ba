"""drift.state_vs_live on hand-built inventories: each drifted attribute with its state -> live values,
a resource gone live, who changed it (CloudTrail), in-sync resources pass, unreadable state is ERROR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.collect.aws.cost_models import Bucket, EbsVolume
from opsbook.collect.aws.drift_models import BucketSettings, StateResource, TerraformStates, TrailEvent
from opsbook.collect.aws.models import DbInstance, EksCluster, NodeGroup
from opsbook.collect.aws.security_models import AuthorizationDetails, Principal, SecurityGroupUse
from opsbook.core.models import Status
from tests.checks.helpers import by_status, run_check

CHECK = "drift.state_vs_live"
RULE = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}


def res(rtype: str, name: str, attrs: dict[str, Any], region: str = "us-east-1") -> StateResource:
    return StateResource(address=f"{rtype}.{name}", type=rtype, mode="managed", attributes=attrs,
                         stack="mycompany-prod-use1", component="platform", state="s3://tf/platform", region=region)  # fmt: skip


def inventory(states: list[StateResource], **live: Any) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "terraform.states": TerraformStates(resources=states),
        "terraform.states_ignores": [],
        "cloudtrail.write_events": [],
        "ec2.instances": [], "ec2.security_group_use": [], "ec2.volumes": [], "eks.clusters_with_nodegroups": [],
        "elbv2.load_balancers": [], "iam.authorization_details": None, "rds.instances": [],
        "s3.bucket_settings": {}, "s3.buckets": [],
    }  # fmt: skip
    return empty | live


def group(**kw: Any) -> SecurityGroupUse:
    return SecurityGroupUse(
        **({"id": "sg-1", "name": "db", "description": "d", "ingress": ("tcp:443-443:10.0.0.0/8",)} | kw)
    )


def test_every_drifted_attribute_is_named_with_its_state_and_live_values() -> None:
    cluster = EksCluster(name="c", arn="a", status="ACTIVE", nodegroups=[
        NodeGroup(name="app", arn="n", status="ACTIVE", desired=2, min=1, max=5, instance_types=["m5.large"])])  # fmt: skip
    states = [
        res("aws_security_group", "db", {"id": "sg-1", "name": "db", "description": "d", "ingress": [RULE], "egress": []}),
        res("aws_eks_node_group", "app", {"cluster_name": "c", "node_group_name": "app", "instance_types": ["m5.large"],
            "scaling_config": [{"desired_size": 3, "min_size": 1, "max_size": 5}]}),
        res("aws_s3_bucket_versioning", "b", {"bucket": "b", "versioning_configuration": [{"status": "Enabled"}]}),
        res("aws_db_instance", "main", {"identifier": "db", "instance_class": "db.r5.large", "engine": "postgres",
            "allocated_storage": 100, "multi_az": False}),
    ]  # fmt: skip
    live_group = group(ingress=("tcp:443-443:10.0.0.0/8", "tcp:5432-5432:10.99.0.0/16"))
    db = DbInstance(id="db", arn="arn", status="available", instance_class="db.r5.xlarge", engine="postgres",
                    allocated_storage=100)  # fmt: skip
    findings = run_check(CHECK, inventory(
        states, **{"ec2.security_group_use": [live_group], "eks.clusters_with_nodegroups": [cluster],
                   "s3.bucket_settings": {"b": BucketSettings(versioning="Suspended")}, "rds.instances": [db]}))  # fmt: skip
    failed = {f.details["address"]: f.details["attributes"] for f in by_status(findings)[Status.FAIL]}
    assert failed == {
        "aws_security_group.db": {"ingress": [["tcp:443-443:10.0.0.0/8"],
                                              ["tcp:443-443:10.0.0.0/8", "tcp:5432-5432:10.99.0.0/16"]]},
        "aws_eks_node_group.app": {"desired_size": [3, 2]},
        "aws_s3_bucket_versioning.b": {"status": ["Enabled", "Suspended"]},
        "aws_db_instance.main": {"instance_class": ["db.r5.large", "db.r5.xlarge"]},
    }  # fmt: skip
    f = next(f for f in findings if f.details["address"] == "aws_eks_node_group.app")
    assert f.resource is not None and f.resource.id == "c:app"
    assert (f.details["stack"], f.details["component"]) == ("mycompany-prod-use1", "platform")
    assert "desired_size: 3 -> 2" in f.message


def test_matching_resources_pass_and_child_resources_check_membership() -> None:
    role = Principal(kind="role", name="deploy", arn="arn:role", attached_policy_arns=["arn:p1"])
    states = [
        res("aws_security_group", "db", {"id": "sg-1", "name": "db", "description": "d", "ingress": [RULE], "egress": []}),
        res("aws_vpc_security_group_ingress_rule", "https", {"security_group_id": "sg-1", "ip_protocol": "tcp",
            "from_port": 443, "to_port": 443, "cidr_ipv4": "10.0.0.0/8"}),
        res("aws_iam_role", "deploy", {"name": "deploy", "path": "/", "tags": None}),
        res("aws_iam_role_policy_attachment", "ok", {"role": "deploy", "policy_arn": "arn:p1"}),
        res("aws_iam_role_policy_attachment", "detached", {"role": "deploy", "policy_arn": "arn:p2"}),
        res("aws_ebs_volume", "other_region", {"id": "vol-9"}, region="eu-west-1"),
    ]  # fmt: skip
    findings = run_check(CHECK, inventory(
        states, **{"ec2.security_group_use": [group()], "iam.authorization_details": AuthorizationDetails(roles=[role])}))  # fmt: skip
    got = {f.details["address"]: f.status for f in findings}
    assert got == {
        "aws_security_group.db": Status.PASS,
        "aws_vpc_security_group_ingress_rule.https": Status.PASS,
        "aws_iam_role.deploy": Status.PASS,
        "aws_iam_role_policy_attachment.ok": Status.PASS,
        "aws_iam_role_policy_attachment.detached": Status.FAIL,  # detached by hand
    }  # the eu-west-1 volume is that region's target's


def test_gone_live_with_who_deleted_it_and_when() -> None:
    when = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    events = [TrailEvent(name="DeleteVolume", time=when, user="jane.doe", resources=["vol-1"]),
              TrailEvent(name="CreateTags", time=when.replace(day=20), user="bob", resources=["vol-1"]),
              TrailEvent(name="DeleteVolume", time=when.replace(day=26), user="eve", resources=["vol-2"])]  # fmt: skip
    states = [res("aws_ebs_volume", "scratch", {"id": "vol-1", "size": 8, "type": "gp3"}),
              res("aws_ebs_volume", "kept", {"id": "vol-3", "size": 8, "type": "gp3", "availability_zone": "us-east-1a"})]  # fmt: skip
    kept = EbsVolume(id="vol-3", size_gb=8, type="gp3", state="in-use", availability_zone="us-east-1a")
    findings = run_check(
        CHECK, inventory(states, **{"cloudtrail.write_events": events, "ec2.volumes": [kept]})
    )
    (gone,) = by_status(findings)[Status.FAIL]
    assert gone.details["address"] == "aws_ebs_volume.scratch" and "gone live" in gone.message
    assert (gone.details["changed_by"], gone.details["changed_at"], gone.details["event"]) == (
        "jane.doe", "2026-11-24T09:30:00+00:00", "DeleteVolume")  # fmt: skip
    assert "last changed by jane.doe at 2026-11-24 09:30 UTC (DeleteVolume)" in gone.message
    assert [f.details["address"] for f in by_status(findings)[Status.PASS]] == ["aws_ebs_volume.kept"]


def test_unreadable_state_is_error_and_no_stacks_is_skipped() -> None:
    states = TerraformStates(problems=["s3://tf/platform/x/terraform.tfstate: AccessDenied"])
    (err,) = run_check(CHECK, inventory([]) | {"terraform.states": states})
    assert err.status is Status.ERROR and err.resource is not None
    assert err.resource.id == "s3://tf/platform/x/terraform.tfstate"
    (skip,) = run_check(CHECK, inventory([]) | {"terraform.states": TerraformStates(configured=False)})
    assert skip.status is Status.SKIPPED and "stacks.atmos_config" in skip.message
    unread = inventory([res("aws_iam_role", "r", {"name": "r"})])  # no IAM read: not "gone"
    (skip,) = run_check(CHECK, unread)
    assert skip.status is Status.SKIPPED and "iam.authorization_details was not read" in skip.message


def test_a_bucket_with_the_same_settings_passes() -> None:
    states = [res("aws_s3_bucket", "b", {"bucket": "b", "tags": {"Team": "x"}}),
              res("aws_s3_bucket_public_access_block", "b", {"bucket": "b", "block_public_acls": True,
                  "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": False})]  # fmt: skip
    pab = {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    findings = run_check(CHECK, inventory(states, **{
        "s3.buckets": [Bucket(name="b", region="us-east-1", tags={"Team": "x"})],
        "s3.bucket_settings": {"b": BucketSettings(public_access_block=pab)}}))  # fmt: skip
    got = {f.details["address"]: (f.status, f.details.get("attributes")) for f in findings}
    assert got == {
        "aws_s3_bucket.b": (Status.PASS, None),
        "aws_s3_bucket_public_access_block.b": (
            Status.FAIL, {"restrict_public_buckets": [False, True]}),
    }  # fmt: skip


def test_an_ignored_attribute_is_skipped_with_its_reason_and_drifts_again_after_its_day() -> None:
    """`opsbook drift ignore ADDRESS --stack S --attribute A --until D` covers this check too (core/drift.py)."""
    from datetime import date

    from opsbook.core.drift import Ignore

    state = res("aws_db_instance", "main", {"identifier": "db", "instance_class": "db.r5.large", "engine": "postgres",
                "allocated_storage": 100, "multi_az": False})  # fmt: skip
    db = DbInstance(id="db", arn="arn", status="available", instance_class="db.r5.xlarge", engine="postgres",
                    allocated_storage=100)  # fmt: skip
    ignore = Ignore(address="aws_db_instance.main", stack="mycompany-prod-use1", attribute="instance_class",
                    until=date(2026, 12, 31), reason="load test until January")  # fmt: skip
    live = {"rds.instances": [db], "terraform.states_ignores": [ignore]}
    (before,) = run_check(CHECK, inventory([state], **live), now=datetime(2026, 12, 31, 23, tzinfo=UTC))
    assert before.status is Status.SKIPPED and "load test until January" in before.message
    assert before.details["ignored"][0]["attribute"] == "instance_class"
    (after,) = run_check(CHECK, inventory([state], **live), now=datetime(2027, 1, 1, 1, tzinfo=UTC))
    assert after.status is Status.FAIL and after.details["attributes"] == {
        "instance_class": ["db.r5.large", "db.r5.xlarge"]
    }


def test_stacks_and_components_settings_narrow_to_their_state_objects() -> None:
    """`drift detect --stack S --component C` sets them (engine/drift.py), as for drift.terraform_plan."""
    kept = EbsVolume(id="vol-1", size_gb=8, type="gp3", state="in-use", availability_zone="us-east-1a")
    attrs = {"id": "vol-1", "size": 8, "type": "gp3", "availability_zone": "us-east-1a"}
    platform = res("aws_ebs_volume", "a", attrs)
    dev = platform.model_copy(update={"address": "aws_ebs_volume.b", "stack": "mycompany-dev-use1"})
    other = platform.model_copy(update={"address": "aws_ebs_volume.c", "component": "eks"})
    live = inventory([platform, dev, other], **{"ec2.volumes": [kept]})

    def seen(settings: dict[str, Any]) -> list[str]:
        return sorted(f.details["address"] for f in run_check(CHECK, live, settings))

    assert seen({}) == ["aws_ebs_volume.a", "aws_ebs_volume.b", "aws_ebs_volume.c"]
    assert seen({"stacks": ["mycompany-prod-use1"]}) == ["aws_ebs_volume.a", "aws_ebs_volume.c"]
    assert seen({"stacks": ["mycompany-prod-use1"], "components": ["platform"]}) == ["aws_ebs_volume.a"]
    assert seen({"components": ["vpc"]}) == []


def test_the_live_listing_is_indexed_once_per_type(monkeypatch: Any) -> None:
    from opsbook.checks.drift import state_vs_live

    calls: list[str] = []

    def counted(entry: Any, value: Any) -> Any:
        calls.append(entry.live)
        return live_index(entry, value)

    live_index = state_vs_live.live_index
    monkeypatch.setattr(state_vs_live, "live_index", counted)
    states = [res("aws_ebs_volume", f"v{i}", {"id": f"vol-{i}", "size": 8, "type": "gp3"}) for i in range(3)]
    findings = run_check(CHECK, inventory(states))
    assert [f.status for f in findings] == [Status.FAIL] * 3 and calls == ["ec2.volumes"]
