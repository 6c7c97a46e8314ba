"""Which recorders let drift.unmanaged use AWS Config: recording, and taking in every type it needs (all
supported types, IAM's global ones only with includeGlobalResourceTypes, an exclusion list or a list)."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.collect.aws.drift_unmanaged import config_types, expression, not_recorded

NEEDED = ["AWS::EC2::SecurityGroup", "AWS::IAM::Role"]


class Recorders:
    """The two Describe calls' answers, as boto3 returns them."""

    def __init__(self, group: dict[str, Any], recording: bool = True) -> None:
        self.group, self.recording = group, recording

    def describe_configuration_recorder_status(self) -> dict[str, Any]:
        return {"ConfigurationRecordersStatus": [{"name": "default", "recording": self.recording}]}

    def describe_configuration_recorders(self) -> dict[str, Any]:
        return {"ConfigurationRecorders": [{"name": "default", "recordingGroup": self.group}]}


@pytest.mark.parametrize(
    ("group", "recording", "why"),
    [
        ({"allSupported": True, "includeGlobalResourceTypes": True}, True, ""),
        ({"allSupported": True, "includeGlobalResourceTypes": True}, False, "not recording in this region"),
        ({"allSupported": True}, True, "does not record AWS::IAM::Role here"),
        ({"resourceTypes": ["AWS::EC2::SecurityGroup"], "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}},
         True, "does not record AWS::IAM::Role here"),
        ({"exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::SecurityGroup"]},
          "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}, True,
         "does not record AWS::EC2::SecurityGroup here"),
    ],
)  # fmt: skip
def test_config_is_used_only_where_a_recording_recorder_takes_in_every_needed_type(
    group: dict[str, Any], recording: bool, why: str
) -> None:
    said = not_recorded(Recorders(group, recording), NEEDED)
    assert (said == "") if not why else (why in said)


def test_the_expression_asks_for_the_mapped_types_only() -> None:
    types = config_types(["aws_db_instance", "aws_eks_node_group", "aws_lb", "aws_security_group"])
    assert types == [
        "AWS::EC2::SecurityGroup",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::RDS::DBInstance",
    ]
    assert expression(types).endswith(
        "WHERE resourceType IN ('AWS::EC2::SecurityGroup', "
        "'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::RDS::DBInstance')"
    )
