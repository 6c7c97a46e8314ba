"""k8s.wide_rbac_bindings on hand-built RBAC (no servers): what counts as wide, who is exempt, aws-auth."""

from __future__ import annotations

from opsbook.collect.k8s.rbac import AwsAuthMapping, Binding, RbacState, Subject, aws_auth, wide_grants
from opsbook.core.models import Status, Target, TargetKind
from tests.checks.helpers import by_status, run_check

K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")


def test_wide_grants_in_words() -> None:
    assert wide_grants([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == [
        "all verbs on all resources"
    ]
    assert wide_grants([{"resources": ["secrets"], "verbs": ["get"]}]) == ["reads secrets"]
    assert wide_grants([{"resources": ["clusterroles"], "verbs": ["bind", "escalate"]}]) == [
        "may bind, escalate"
    ]
    assert wide_grants([{"resources": ["users"], "verbs": ["impersonate"]}]) == ["may impersonate"]
    assert wide_grants([{"resources": ["pods"], "verbs": ["get", "list"]}]) == []
    assert wide_grants([{"resources": ["secrets"], "verbs": ["create"]}]) == []


def test_bindings_and_aws_auth_mappings() -> None:
    admin = ["all verbs on all resources"]
    state = RbacState(
        bindings=[
            Binding(kind="ClusterRoleBinding", name="cluster-admin", namespace=None, role_kind="ClusterRole",
                    role="cluster-admin", subjects=[Subject(kind="Group", name="system:masters")], grants=admin),
            Binding(kind="ClusterRoleBinding", name="ops", namespace=None, role_kind="ClusterRole",
                    role="cluster-admin", subjects=[Subject(kind="Group", name="ops-admins")], grants=admin),
            Binding(kind="RoleBinding", name="reader", namespace="prod", role_kind="Role", role="pod-reader",
                    subjects=[Subject(kind="User", name="sam")], grants=[]),
        ],
        aws_auth=[
            AwsAuthMapping(arn="arn:aws:iam::1:role/Admin", username="admin", groups=["ops-admins"]),
            AwsAuthMapping(arn="arn:aws:iam::1:role/Break", username="break", groups=["system:masters"]),
            AwsAuthMapping(arn="arn:aws:iam::1:role/node", groups=["system:nodes"]),
        ],
    )  # fmt: skip
    s = by_status(run_check("k8s.wide_rbac_bindings", {"k8s.rbac": state}, target=K8S))
    fails = {f.resource.name: f for f in s[Status.FAIL] if f.resource}
    assert set(fails) == {"ops", "Admin", "Break"}
    assert fails["ops"].details["iam_principals"] == ["arn:aws:iam::1:role/Admin"]
    assert fails["ops"].details["subjects"] == ["Group ops-admins"]
    assert fails["Break"].severity.value == "high" and fails["Admin"].severity.value == "medium"
    assert {f.resource.name for f in s[Status.PASS] if f.resource} == {"cluster-admin", "reader", "node"}


def test_aws_auth_parsing() -> None:
    got = aws_auth({"mapRoles": "- rolearn: arn:r\n  username: u\n  groups: [a, b]\n",
                    "mapUsers": "- userarn: arn:u\n  groups: [c]\n"})  # fmt: skip
    assert got == [AwsAuthMapping(arn="arn:r", username="u", groups=["a", "b"]),
                   AwsAuthMapping(arn="arn:u", username="", groups=["c"])]  # fmt: skip
