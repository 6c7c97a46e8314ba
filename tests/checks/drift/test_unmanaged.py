"""drift.unmanaged on hand-built inventories: tagged as Terraform-managed but in no state, in no state at
all, the exclusions, the scope settings, and that it is opt-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from opsbook.collect.aws.drift_models import (
    ConfigItem,
    StateResource,
    TaggedResource,
    TerraformStates,
    UnmanagedListing,
)
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.security_models import SecurityGroupUse
from opsbook.core.checks import CHECKS
from opsbook.core.models import Status
from opsbook.engine.selection import load_builtin
from tests.checks.helpers import by_status, run_check

CHECK = "drift.unmanaged"
ARN = "arn:aws:rds:us-east-1:333333333333:db:"


def db(name: str) -> DbInstance:
    return DbInstance(
        id=name, arn=ARN + name, status="available", instance_class="db.t3.micro", engine="postgres"
    )


def inventory() -> dict[str, Any]:
    held = StateResource(address="aws_db_instance.main", type="aws_db_instance", mode="managed",
                         attributes={"identifier": "main"}, region="us-east-1")  # fmt: skip
    return {
        "terraform.states": TerraformStates(resources=[held]),
        "drift.unmanaged_listing": UnmanagedListing(source="tagging", note="not recording", tagged=[
            TaggedResource(arn=ARN + "main"), TaggedResource(arn=ARN + "lost"),
            TaggedResource(arn="arn:aws:ec2:us-east-1:3:vpc/vpc-1")]),  # fmt: skip
        "rds.instances": [db("main"), db("lost"), db("handmade")],
        "ec2.security_group_use": [SecurityGroupUse(id="sg-d", name="default"), SecurityGroupUse(id="sg-x", name="x")],
        "ec2.instances": [], "ec2.volumes": [], "eks.clusters_with_nodegroups": [], "elbv2.load_balancers": [],
        "iam.authorization_details": None, "s3.buckets": [],
    }  # fmt: skip


def test_tagged_but_stateless_and_unmanaged_are_found_once_each() -> None:
    findings = run_check(CHECK, inventory(), {"types": ["aws_db_instance", "aws_security_group"]})
    failed = {
        (f.resource.type, f.resource.id): f.details["kind"]
        for f in by_status(findings)[Status.FAIL]
        if f.resource
    }
    assert failed == {
        ("aws_db_instance", "lost"): "tagged_no_state",  # the vpc is no type drift knows: not judged
        ("aws_db_instance", "handmade"): "unmanaged",
        ("aws_security_group", "sg-x"): "unmanaged",  # the default group is excluded
    }
    lost = next(f for f in findings if f.resource and f.resource.id == "lost")
    assert lost.resource is not None and lost.resource.arn == ARN + "lost"
    assert "tagged ManagedBy=terraform but no Terraform state holds it" in lost.message


def config_listing() -> UnmanagedListing:
    """The inventory's resources as AWS Config lists them: RDS by DbiResourceId, named by identifier."""
    tf = {"ManagedBy": "terraform"}
    rds = [
        ConfigItem(
            type="AWS::RDS::DBInstance",
            id=f"db-{n.upper()}",
            name=n,
            arn=ARN + n,
            tags=tf if n in ("main", "lost") else {},
        )
        for n in ("main", "lost", "handmade")
    ]
    sgs = [
        ConfigItem(type="AWS::EC2::SecurityGroup", id=i, name=n)
        for i, n in (("sg-d", "default"), ("sg-x", "x"))
    ]
    vpc = ConfigItem(type="AWS::EC2::VPC", id="vpc-1", arn="arn:aws:ec2:us-east-1:3:vpc/vpc-1", tags=tf)
    return UnmanagedListing(source="config", items=[*rds, *sgs, vpc])  # fmt: skip


def test_config_and_tagging_listings_give_the_same_findings_saying_their_source() -> None:
    types = {"types": ["aws_db_instance", "aws_security_group"]}
    tagging = run_check(CHECK, inventory(), types)
    # Config's listing answers for both types: the describe listings it replaces are empty here
    config = run_check(CHECK, inventory() | {"drift.unmanaged_listing": config_listing(), "rds.instances": [],
                                             "ec2.security_group_use": []}, types)  # fmt: skip

    def seen(findings: list[Any]) -> set[tuple[Any, ...]]:
        return {
            (f.status, f.resource.type, f.resource.id, f.message, f.details.get("kind")) for f in findings
        }

    assert seen(config) == seen(tagging) and len(seen(config)) == 3
    assert {f.details["source"] for f in config} == {"config"} and not any(
        "note" in f.details for f in config
    )
    assert {(f.details["source"], f.details["note"]) for f in tagging} == {("tagging", "not recording")}


def test_every_type_managed_passes_and_scope_settings_narrow_it() -> None:
    inv = inventory() | {
        "rds.instances": [db("main")],
        "drift.unmanaged_listing": UnmanagedListing(source="tagging"),
    }
    (passed,) = run_check(CHECK, inv, {"types": ["aws_db_instance"]})
    assert (
        passed.status is Status.PASS
        and passed.resource is not None
        and passed.resource.id == "aws_db_instance"
    )
    assert run_check(CHECK, inventory(), {"accounts": ["dev"]}) == []  # the helper's target is prod
    assert run_check(CHECK, inventory(), {"regions": ["eu-west-1"]}) == []
    tagged = run_check(CHECK, inventory(), {"managed_tag_key": "Owner", "types": ["aws_db_instance"]})
    assert {f.details["tag"] for f in tagged if f.details.get("kind") == "tagged_no_state"} == {
        "Owner=terraform"
    }


def test_opt_in_and_unknown_types_refused() -> None:
    load_builtin()
    spec = CHECKS.get(CHECK)
    assert spec.default_enabled is False and CHECKS.get("drift.state_vs_live").default_enabled is True
    with pytest.raises(ValidationError, match="unknown type 'aws_vpc'"):
        spec.settings.model_validate({"types": ["aws_vpc"]})


def test_an_unknown_type_in_opsbook_yaml_is_exit_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsbook.cli.main import main

    cfg = tmp_path / "opsbook.yaml"
    cfg.write_text(
        'accounts:\n  - {name: dev, id: "111111111111"}\nchecks:\n  drift.unmanaged:\n    types: [aws_vpc]\n'
    )
    assert main(["--config", str(cfg), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:5:5: checks.drift.unmanaged.types: unknown type 'aws_vpc'" in err and err.count("\n") == 1
