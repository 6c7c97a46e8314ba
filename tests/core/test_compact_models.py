"""Findings and inventory records carry their values, not a private copy of pydantic's bookkeeping."""

from __future__ import annotations

from opsbook.collect.aws.cost_models import EbsVolume
from opsbook.collect.aws.keys import VOLUMES
from opsbook.core.models import (
    Finding,
    Proposal,
    Resource,
    Severity,
    Status,
    Target,
    TargetKind,
    shared_proposal,
)
from tests.checks.helpers import run_check

T = Target(kind=TargetKind.AWS, account="dev", region="us-east-1")


def finding(i: int) -> Finding:
    return Finding(
        check_id="ec2.unattached_volumes",
        status=Status.FAIL,
        severity=Severity.LOW,
        target=T,
        resource=Resource(id=f"vol-{i}", type="AWS::EC2::Volume"),
        message=f"vol-{i} is not attached",
        details={"size_gb": i},
    )


def test_instances_given_the_same_fields_share_one_fields_set() -> None:
    a, b = finding(1), finding(2)
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert (
        a.resource and b.resource and a.resource.__pydantic_fields_set__ is b.resource.__pydantic_fields_set__
    )
    v1 = EbsVolume(id="vol-1", size_gb=1, type="gp3", state="available")
    v2 = EbsVolume(id="vol-2", size_gb=2, type="gp2", state="in-use")
    assert v1.__pydantic_fields_set__ is v2.__pydantic_fields_set__


def test_shared_fields_set_keeps_pydantic_semantics() -> None:
    a = finding(1)
    b = a.model_copy(update={"remediation": "delete it"})
    assert "remediation" in b.model_fields_set and "remediation" not in a.model_fields_set
    assert "remediation" not in finding(3).model_dump(exclude_unset=True)
    assert b.model_dump(exclude_unset=True)["remediation"] == "delete it"
    assert Finding.model_validate(a.model_dump()) == a


def test_a_runs_findings_hold_repeated_values_once() -> None:
    # two volumes parsed from two responses: equal strings, distinct objects, as botocore's parser makes them

    def volume(i: int) -> EbsVolume:
        return EbsVolume(
            id=f"vol-{i}", size_gb=100, type="".join(["g", "p2"]), state="".join(["avail", "able"])
        )

    found = [
        f
        for f in run_check("ec2.unattached_volumes", {VOLUMES: [volume(1), volume(2)]})
        if f.status is Status.FAIL
    ]
    a, b = found
    assert a.details["volume_type"] is b.details["volume_type"]
    assert a.details["state"] is b.details["state"]
    assert a.proposal is not None and a.proposal is b.proposal  # equal proposals: one object
    assert a.resource and b.resource and a.resource.id != b.resource.id


def test_proposals_with_unhashable_params_are_kept_as_they_are() -> None:
    p = Proposal(procedure="cleanup", kind="k", action="a", params={"ids": ["x"]})
    q = Proposal(procedure="cleanup", kind="k", action="a", params={"ids": ["x"]})
    assert shared_proposal(p) is p and shared_proposal(q) is q
    r = Proposal(procedure="cleanup", kind="k", action="a", params={"n": 1})
    assert shared_proposal(r) is r
    assert shared_proposal(Proposal(procedure="cleanup", kind="k", action="a", params={"n": 1})) is r
