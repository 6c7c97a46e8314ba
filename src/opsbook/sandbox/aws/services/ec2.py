"""EC2 DescribeSecurityGroupReferences (moto lacks it): which peered VPCs reference a security group.

The sandbox has no VPC peering, so no group is referenced: the answer is always an empty set. Cloud
Custodian's `unused` security-group filter calls it (the benchmark in bench/ runs c7n on the sandbox).
"""

from __future__ import annotations

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response

SERVICE = "ec2"
_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def describe_security_group_references(call: Call, data: SandboxData) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSecurityGroupReferencesResponse xmlns="{_NS}">'
        "<requestId>opsbook-sandbox</requestId><securityGroupReferenceSet/>"
        "</DescribeSecurityGroupReferencesResponse>"
    ).encode()
    return 200, {"Content-Type": "text/xml"}, body


HANDLERS = {"DescribeSecurityGroupReferences": describe_security_group_references}
