"""The local policy evaluator against a table of policy documents."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.checks.aws.iam_policy import CONDITIONS_NOTE, evaluate, matches


def doc(*statements: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("inline:p", {"Version": "2012-10-17", "Statement": list(statements)})]


def allow(action: Any, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **kw}


def deny(action: Any, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **kw}


PASSROLE_EC2 = ("iam:PassRole", "ec2:RunInstances")

# (name, documents, full admin?, service wildcards, escalation expected in the result or None, conditions)
TABLE = [
    ("admin star", doc(allow("*")), True, [], None, 0),
    ("admin star-colon-star", doc(allow("*:*")), True, [], None, 0),
    ("admin as a single statement object", [("x", {"Statement": allow("*")})], True, [], None, 0),
    ("admin denied wholesale", doc(allow("*"), deny("*")), False, [], (), 0),
    (
        "admin with NotAction",
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        True,
        [],
        None,
        0,
    ),
    ("admin on one bucket only", doc(allow("*", "arn:aws:s3:::b/*")), False, [], (), 0),
    ("service wildcard", doc(allow("s3:*")), False, ["s3:*"], (), 0),
    ("service wildcard, case folded", doc(allow("S3:*")), False, ["s3:*"], (), 0),
    ("service wildcard denied", doc(allow("s3:*"), deny("s3:*")), False, [], (), 0),
    (
        "service wildcard denied by NotAction deny",
        doc(allow("s3:*"), {"Effect": "Deny", "NotAction": "ec2:*", "Resource": "*"}),
        False,
        [],
        None,
        0,
    ),
    (
        "partial deny keeps the wildcard",
        doc(allow("s3:*"), deny("s3:DeleteBucket")),
        False,
        ["s3:*"],
        None,
        0,
    ),
    ("passrole + runinstances", doc(allow(["iam:PassRole", "ec2:RunInstances"])), False, [], PASSROLE_EC2, 0),
    ("passrole + ec2 wildcard", doc(allow("iam:PassRole"), allow("ec2:Run*")), False, [], PASSROLE_EC2, 0),
    (
        "passrole scoped to a role",
        doc(allow("iam:PassRole", "arn:aws:iam::1:role/app"), allow("ec2:RunInstances")),
        False,
        [],
        (),
        0,
    ),
    (
        "passrole denied",
        doc(allow(["iam:PassRole", "ec2:RunInstances"]), deny("iam:PassRole")),
        False,
        [],
        (),
        0,
    ),
    (
        "passrole + lambda",
        doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])),
        False,
        [],
        ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
        0,
    ),
    ("lambda create without invoke", doc(allow(["iam:PassRole", "lambda:CreateFunction"])), False, [], (), 0),
    (
        "create policy version",
        doc(allow("iam:CreatePolicyVersion")),
        False,
        [],
        ("iam:CreatePolicyVersion",),
        0,
    ),
    ("iam:Put* wildcard", doc(allow("iam:Put*")), False, [], ("iam:PutRolePolicy",), 0),
    (
        "iam:* is service-wide and escalates",
        doc(allow("iam:*")),
        False,
        ["iam:*"],
        ("iam:AttachUserPolicy",),
        0,
    ),
    ("question-mark wildcard", doc(allow("iam:CreateAccessK?y")), False, [], ("iam:CreateAccessKey",), 0),
    (
        "NotAction allow on a resource is not admin",
        doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "arn:aws:s3:::b"}),
        False,
        [],
        (),
        0,
    ),
    (
        "NotResource allow counts as everything",
        doc({"Effect": "Allow", "Action": "iam:AttachRolePolicy", "NotResource": "arn:aws:iam::1:role/x"}),
        False,
        [],
        ("iam:AttachRolePolicy",),
        0,
    ),
    (
        "deny on one resource does not cancel *",
        doc(allow("iam:CreateAccessKey"), deny("iam:CreateAccessKey", "arn:aws:iam::1:user/root")),
        False,
        [],
        ("iam:CreateAccessKey",),
        0,
    ),
    (
        "conditional allow counted",
        doc(allow("iam:CreateAccessKey", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        False,
        [],
        ("iam:CreateAccessKey",),
        1,
    ),
    (
        "conditional deny not applied",
        doc(allow("s3:*"), deny("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        False,
        ["s3:*"],
        None,
        1,
    ),
    (
        "read only",
        doc(allow(["s3:GetObject", "ec2:Describe*"]), allow("logs:*", "arn:aws:logs:*:*:log-group:app")),
        False,
        [],
        (),
        0,
    ),
    ("empty document", [("x", {})], False, [], (), 0),
]


@pytest.mark.parametrize(
    ("name", "documents", "admin", "wildcards", "escalation", "conditions"), TABLE, ids=[t[0] for t in TABLE]
)
def test_policy_table(
    name: str, documents: Any, admin: bool, wildcards: list[str], escalation: Any, conditions: int
) -> None:
    ev = evaluate(documents)
    assert bool(ev.full_admin) is admin
    assert list(ev.service_wildcards) == wildcards
    if escalation == ():
        assert ev.escalations == []
    elif escalation is not None:
        assert escalation in ev.escalations
    assert ev.conditions_ignored == conditions
    details = ev.details()
    assert ("note" in details) is bool(conditions)
    if conditions:
        assert details["note"] == CONDITIONS_NOTE


def test_deny_in_one_document_removes_allow_from_another() -> None:
    docs = [
        ("managed:ops", {"Statement": [allow("iam:PassRole"), allow("ec2:RunInstances")]}),
        ("inline:guard", {"Statement": [deny("iam:*")]}),
    ]
    assert evaluate(docs).escalations == []


def test_full_admin_reports_sources_and_skips_escalations() -> None:
    ev = evaluate(
        [("managed:Admin", {"Statement": [allow("*")]}), ("inline:x", {"Statement": [allow("iam:PassRole")]})]
    )
    assert ev.full_admin == ["managed:Admin"] and ev.escalations == []


def test_wildcard_matching() -> None:
    assert matches("iam:Put*", "iam:PutRolePolicy")
    assert matches("IAM:putrolepolicy", "iam:PutRolePolicy")
    assert not matches("iam:Put*", "iam:AttachRolePolicy")
    assert matches("ec2:*", "ec2:RunInstances")
    assert not matches("ec2:Run[I]nstances", "ec2:RunInstances")  # brackets are literal in IAM
