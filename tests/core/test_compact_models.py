"""Findings and inventory records carry their values, not a private copy of pydantic's bookkeeping."""

from __future__ import annotations

from opsbook.collect.aws.cost_models import EbsVolume
from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind

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
