"""The cross-account role opsbook assumes in every account, as Terraform (HCL) or CloudFormation (YAML).

The role trusts opsbook's central account (its root: any principal there that IAM lets assume it) or one
role of it, optionally only with an ExternalId. It holds the read-only policy (`opsbook iam policy`), inline
or as a managed policy, and one managed policy per procedure asked for (`opsbook iam policy --procedure X`),
each attached separately so a team can grant a procedure in one account and not in another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from opsbook.core.aws_names import parse_role_arn
from opsbook.core.errors import InputError

ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
MAX_SESSION_S = 3600


@dataclass(frozen=True)
class RoleSpec:
    name: str
    trusted: str  # the principal ARN allowed to assume the role
    read_only: dict[str, Any]  # the policy document
    external_id: str | None = None
    managed: bool = False  # the read-only policy as a managed policy (else inline)
    procedures: dict[str, dict[str, Any]] = field(default_factory=dict)  # procedure -> policy document


def trusted_principal(account: str | None, role_arn: str | None) -> str:
    """The central principal's ARN from `--trust-account ID` or `--trust-role ARN` (exactly one)."""
    if bool(account) == bool(role_arn):
        raise InputError("iam role: give exactly one of --trust-account ID or --trust-role ARN")
    if account:
        if not ACCOUNT_ID.match(account):
            raise InputError(f"--trust-account {account!r}: an AWS account id is 12 digits")
        return f"arn:aws:iam::{account}:root"
    assert role_arn is not None
    try:
        parse_role_arn(role_arn)
    except ValueError as exc:
        raise InputError(f"--trust-role: {exc}") from None
    return role_arn


def check_names(name: str, external_id: str | None) -> None:
    if not ROLE_NAME.match(name):
        raise InputError(f"--name {name!r}: a role name is 1-64 of letters, digits and +=,.@_-")
    if external_id is not None and not EXTERNAL_ID.match(external_id):
        raise InputError(
            f"--external-id: 2-1224 of letters, digits and +=,.@:/_- (got {len(external_id)} chars)"
        )


def trust_policy(spec: RoleSpec) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "OpsbookAssume",
        "Effect": "Allow",
        "Principal": {"AWS": spec.trusted},
        "Action": "sts:AssumeRole",
    }
    if spec.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": spec.external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def ident(text: str) -> str:
    """A Terraform / CloudFormation logical name: `opsbook-read` -> `opsbook_read`."""
    return re.sub(r"\W", "_", text)


def pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[\W_]+", text) if w)


# -- Terraform -------------------------------------------------------------------------------------------


def hcl_string(s: str) -> str:
    escaped = json.dumps(s)  # quotes, backslashes, control characters as HCL reads them
    return escaped.replace("${", "$${").replace("%{", "%%{")


def hcl_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z_][\w-]*", k) else hcl_string(k)


def hcl_value(v: Any, indent: int) -> str:
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{\n" + hcl_body([(hcl_key(k), v[k]) for k in v], indent + 1) + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = "  " * (indent + 1)
        return "[\n" + "".join(f"{inner}{hcl_value(x, indent + 1)},\n" for x in v) + pad + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, Raw):
        return v.text.replace("\n", "\n" + pad)
    return hcl_string(str(v))


@dataclass(frozen=True)
class Raw:
    """An HCL expression written as is (`jsonencode({...})`, `aws_iam_role.x.name`)."""

    text: str


def hcl_body(attrs: list[tuple[str, Any]], indent: int) -> str:
    """Attributes one a line, `=` aligned as `terraform fmt` aligns them: across consecutive single-line
    attributes; a multi-line value stands alone and ends the group."""
    pad = "  " * indent
    out: list[str] = []
    group: list[tuple[str, str]] = []  # the single-line attributes aligned together

    def flush() -> None:
        width = max((len(k) for k, _ in group), default=0)
        out.extend(f"{pad}{k.ljust(width)} = {text}\n" for k, text in group)
        group.clear()

    for k, v in attrs:
        text = hcl_value(v, indent)
        if "\n" in text:
            flush()
            out.append(f"{pad}{k} = {text}\n")
        else:
            group.append((k, text))
    flush()
    return "".join(out)


def jsonencode(doc: dict[str, Any]) -> Raw:
    return Raw("jsonencode(" + hcl_value(doc, 0) + ")")


def block(header: str, attrs: list[tuple[str, Any]]) -> str:
    return f"{header} {{\n{hcl_body(attrs, 1)}}}\n"


def terraform(spec: RoleSpec) -> str:
    role = ident(spec.name)
    ref = Raw(f"aws_iam_role.{role}.name")
    parts = [
        "# opsbook's cross-account role, generated by `opsbook iam role --format terraform`.\n"
        "# Regenerate it when opsbook's checks or procedures change (the policies are derived from them).\n",
        block(
            f'resource "aws_iam_role" "{role}"',
            [
                ("name", spec.name),
                ("description", "Assumed by opsbook (read-only checks and reviews)"),
                ("max_session_duration", MAX_SESSION_S),
                ("assume_role_policy", jsonencode(trust_policy(spec))),
            ],
        ),
    ]
    if spec.managed:
        parts.append(managed_tf(f"{role}_read_only", f"{spec.name}-read-only", spec.read_only, ref))
    else:
        parts.append(
            block(
                f'resource "aws_iam_role_policy" "{role}_read_only"',
                [("name", f"{spec.name}-read-only"), ("role", ref), ("policy", jsonencode(spec.read_only))],
            )
        )
    for name, doc in spec.procedures.items():
        parts.append(managed_tf(f"{role}_{ident(name)}", f"{spec.name}-{name}", doc, ref))
    parts.append(block('output "role_arn"', [("value", Raw(f"aws_iam_role.{role}.arn"))]))
    return "\n".join(parts)


def managed_tf(logical: str, name: str, doc: dict[str, Any], role: Raw) -> str:
    policy = block(
        f'resource "aws_iam_policy" "{logical}"',
        [("name", name), ("description", f"opsbook: {name}"), ("policy", jsonencode(doc))],
    )
    attach = block(
        f'resource "aws_iam_role_policy_attachment" "{logical}"',
        [("role", role), ("policy_arn", Raw(f"aws_iam_policy.{logical}.arn"))],
    )
    return policy + "\n" + attach


# -- CloudFormation ----------------------------------------------------------------------------------------


def cloudformation(spec: RoleSpec) -> str:
    role = pascal(spec.name) + "Role"
    props: dict[str, Any] = {
        "RoleName": spec.name,
        "Description": "Assumed by opsbook (read-only checks and reviews)",
        "MaxSessionDuration": MAX_SESSION_S,
        "AssumeRolePolicyDocument": trust_policy(spec),
    }
    resources: dict[str, Any] = {role: {"Type": "AWS::IAM::Role", "Properties": props}}
    policies = dict(spec.procedures)
    if spec.managed:
        policies = {"read-only": spec.read_only, **policies}
    else:
        props["Policies"] = [{"PolicyName": f"{spec.name}-read-only", "PolicyDocument": spec.read_only}]
    for name, doc in policies.items():
        resources[pascal(spec.name) + pascal(name) + "Policy"] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": f"{spec.name}-{name}",
                "Description": f"opsbook: {spec.name}-{name}",
                "PolicyDocument": doc,
                "Roles": [{"Ref": role}],
            },
        }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "opsbook's cross-account role (generated by `opsbook iam role --format cloudformation`)",
        "Resources": resources,
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": [role, "Arn"]}}},
    }
    return yaml.safe_dump(template, sort_keys=False, width=120)
