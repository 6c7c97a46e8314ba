"""First of month (and the Access Review): ClusterRoleBindings and RoleBindings that grant wide rights
(cluster-admin, `*` verbs or resources, Secrets read, escalate/bind/impersonate), with their subjects and
the IAM principals the `aws-auth` ConfigMap maps to those subjects. Kubernetes' own subjects (`system:`
users and groups, service accounts in kube-system) pass. Each aws-auth mapping is a finding too: it fails
when it maps an IAM principal into a group that holds wide rights (or `system:masters`)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.k8s.rbac import AwsAuthMapping, Binding, RbacState, Subject
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, Status, TargetKind

MASTERS = "system:masters"
AWS_AUTH = "aws-auth mapping"  # the resource type of an aws-auth finding (`review access` sorts by it)


def builtin(s: Subject) -> bool:
    return s.name.startswith("system:") or (s.kind == "ServiceAccount" and s.namespace == "kube-system")


def mapped(subject: Subject, mappings: list[AwsAuthMapping]) -> list[str]:
    """The IAM principals aws-auth maps to this subject."""
    if subject.kind == "Group":
        return [m.arn for m in mappings if subject.name in m.groups]
    if subject.kind == "User":
        return [m.arn for m in mappings if m.username == subject.name]
    return []


def binding_resource(b: Binding) -> Resource:
    return Resource(id=f"{b.namespace}/{b.name}" if b.namespace else b.name, type=b.kind, name=b.name)


@check(
    id="k8s.wide_rbac_bindings",
    title="Kubernetes bindings that grant cluster-admin or other wide rights",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.HIGH,
    needs=("k8s.rbac",),
    target_kind=TargetKind.K8S,
    remediation="kubectl get clusterrolebindings; kubectl get rolebindings --all-namespaces; "
    "kubectl delete clusterrolebinding <name> (or bind a narrower role); `opsbook review access`",
)
def wide_rbac_bindings(ctx: CheckContext) -> Iterable[Finding]:
    state: RbacState = ctx["k8s.rbac"]
    wide_groups = {MASTERS}
    for b in state.bindings:
        if b.grants:
            wide_groups |= {s.name for s in b.subjects if s.kind == "Group"}
        outside = [s for s in b.subjects if not builtin(s)]
        info = {
            "role": f"{b.role_kind}/{b.role}",
            "namespace": b.namespace,
            "grants": b.grants,
            "subjects": [s.label for s in b.subjects],
            "iam_principals": sorted({a for s in b.subjects for a in mapped(s, state.aws_auth)}),
        }
        where = f"in {b.namespace}" if b.namespace else "cluster-wide"
        if b.grants and outside:
            severity = Severity.HIGH if b.role == "cluster-admin" else Severity.MEDIUM
            who = ", ".join(s.label for s in outside)
            yield ctx.failed(f"{b.kind} {b.name} gives {who} {b.role} {where} ({'; '.join(b.grants)})",
                             binding_resource(b), severity, **info)  # fmt: skip
        else:
            why = "not wide" if not b.grants else "only Kubernetes' own subjects"
            yield ctx.passed(f"{b.kind} {b.name}: {b.role} {where} ({why})", binding_resource(b), **info)
    if state.aws_auth_error:
        res = Resource(id="kube-system/aws-auth", type="ConfigMap", name="aws-auth")
        yield ctx.finding(Status.ERROR, state.aws_auth_error, res, None)
    for m in state.aws_auth:
        res = Resource(id=f"aws-auth/{m.arn}", type=AWS_AUTH, arn=m.arn, name=m.arn.rsplit("/", 1)[-1])
        info = {"arn": m.arn, "username": m.username, "groups": m.groups}
        wide = [g for g in m.groups if g in wide_groups]
        if wide:
            yield ctx.failed(f"aws-auth maps {m.arn} into {', '.join(wide)} (wide rights)", res,
                             Severity.HIGH if MASTERS in wide else Severity.MEDIUM, **info)  # fmt: skip
        else:
            yield ctx.passed(f"aws-auth maps {m.arn} to {', '.join(m.groups) or 'no group'}", res, **info)
