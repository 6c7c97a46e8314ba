"""Inventory models of the state-vs-live drift checks: Terraform state as the S3 backend keeps it, bucket
settings, recent CloudTrail management events, and the resources tagged as Terraform-managed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from opsbook.collect.aws.models import Frozen


class StateResource(Frozen):
    """One resource instance of a Terraform state, with where the state is and whose it is."""

    address: str
    type: str
    mode: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    stack: str = ""
    component: str = ""
    file: str = ""  # the stack manifest that defines the component, when the stacks name the object
    state: str = ""  # s3://bucket/key
    region: str = ""  # its `region` attribute, its ARN's, its bucket's, else the state backend's


class TerraformStates(Frozen):
    objects: list[str] = Field(default_factory=list)  # s3://bucket/key of every state object read
    resources: list[StateResource] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # state objects that could not be read, one line each
    configured: bool = True  # False: opsbook.yaml has no stacks, so no backend says where state is


class BucketSettings(Frozen):
    versioning: str = ""  # Enabled | Suspended | "" (never enabled)
    sse_algorithm: str = ""  # AES256 | aws:kms | "" (no default encryption)
    kms_key_id: str = ""
    public_access_block: dict[str, bool] = Field(default_factory=dict)  # BlockPublicAcls... (empty: none)


class TrailEvent(Frozen):
    name: str
    time: datetime
    user: str
    resources: list[str] = Field(default_factory=list)  # resource names/ids the event names


class TaggedResource(Frozen):
    arn: str
    tags: dict[str, str] = Field(default_factory=dict)


PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def rule_key(protocol: Any, from_port: Any, to_port: Any, source: str) -> str:
    """One security group rule for one source, the same from AWS's `IpPermissions` and Terraform's
    `ingress`/`egress` blocks and rule resources: "tcp:443-443:10.0.0.0/8", "-1:all:sg-123"."""
    proto = str(protocol if protocol is not None else "-1").lower()
    proto = PROTOCOLS.get(proto, proto)
    ports = "all" if proto == "-1" or from_port is None else f"{from_port}-{to_port}"
    return f"{proto}:{ports}:{source}"


class ConfigItem(Frozen):
    """One resource as AWS Config's advanced query returns it (the properties drift.unmanaged selects)."""

    type: str  # AWS::EC2::SecurityGroup
    id: str  # resourceId
    name: str = ""  # resourceName
    arn: str = ""
    region: str = ""  # awsRegion ("global" for IAM)
    tags: dict[str, str] = Field(default_factory=dict)
    configuration: dict[str, Any] = Field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """The item under Config's own property names (what the drift table's `config:` keys name)."""
        return {"resourceType": self.type, "resourceId": self.id, "resourceName": self.name, "arn": self.arn,
                "awsRegion": self.region, "configuration": self.configuration}  # fmt: skip


class UnmanagedListing(Frozen):
    """What drift.unmanaged listed in one account x region: AWS Config's resources of the types it needs
    (`source` config) or the resources the tagging API finds tagged as Terraform-managed (`source` tagging,
    with `note` saying why Config was not used when it was tried)."""

    source: str  # config | tagging | none (a target the settings leave out: nothing listed)
    note: str = ""
    items: list[ConfigItem] = Field(default_factory=list)  # source config
    tagged: list[TaggedResource] = Field(default_factory=list)  # source tagging
