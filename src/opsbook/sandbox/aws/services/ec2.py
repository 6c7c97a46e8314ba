"""EC2 operations moto lacks or answers unlike AWS.

- DescribeSecurityGroupReferences (moto lacks it): which peered VPCs reference a security group. The
  sandbox has no VPC peering, so the answer is always an empty set. Cloud Custodian's `unused`
  security-group filter calls it (the benchmark in bench/ runs c7n on the sandbox).
- DeleteSecurityGroup: moto deletes any group; AWS refuses (400 DependencyViolation) while another
  group's rule references it (ingress or egress `UserIdGroupPairs`) or a network interface uses it.
  Such a delete is refused here; any other goes on to moto.
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response

SERVICE = "ec2"
_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def ec2_error(code: str, message: str, status: int = 400) -> Response:
    """An error in the EC2 protocol's own shape (`Response/Errors/Error`, not the query protocol's)."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()
    return status, {"Content-Type": "text/xml"}, body


def describe_security_group_references(call: Call, data: SandboxData) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSecurityGroupReferencesResponse xmlns="{_NS}">'
        "<requestId>opsbook-sandbox</requestId><securityGroupReferenceSet/>"
        "</DescribeSecurityGroupReferencesResponse>"
    ).encode()
    return 200, {"Content-Type": "text/xml"}, body


def _param(call: Call, name: str) -> str:
    values = call.form.get(name) or call.query.get(name)
    return values[0] if values else ""


def dependents(backend: Any, group_id: str) -> list[str]:
    """What keeps `group_id` from being deleted: other groups naming it in a rule, interfaces using it."""
    out = []
    for groups in list(backend.groups.values()):
        for other in list(groups.values()):
            if other.id == group_id:
                continue
            rules = [*other.ingress_rules, *other.egress_rules]
            if any((rule.source_group or {}).get("GroupId") == group_id for rule in rules):
                out.append(other.id)
    for eni in list(backend.enis.values()):
        if any(g.id == group_id for g in eni.group_set):
            out.append(eni.id)
    return out


def delete_security_group(call: Call, data: SandboxData) -> Response | None:
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[call.account_id][call.region]
    group_id, name = _param(call, "GroupId"), _param(call, "GroupName")
    group = backend.get_security_group_from_id(group_id) if group_id else None
    if group is None and name and not group_id:
        group = backend.get_security_group_from_name(name)
    if group is None:
        return None  # moto answers InvalidGroup.NotFound
    if dependents(backend, group.id):
        return ec2_error("DependencyViolation", f"resource {group.id} has a dependent object")
    return None


HANDLERS = {
    "DescribeSecurityGroupReferences": describe_security_group_references,
    "DeleteSecurityGroup": delete_security_group,
}
