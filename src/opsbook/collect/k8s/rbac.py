"""`k8s.rbac`: who may do what in a cluster (guide: `kubectl get clusterrolebindings`, `kubectl get
rolebindings --all-namespaces`), plus the `aws-auth` ConfigMap that maps IAM principals to Kubernetes
users and groups. One listing each of ClusterRoles, Roles, ClusterRoleBindings and RoleBindings.

A rule grants wide rights when it has `*` verbs or resources, reads Secrets, or lets its holder grant
itself more (`escalate`, `bind`, `impersonate`). `cluster-admin` is the widest.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import Field

from opsbook.collect.k8s.models import Frozen
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind
from opsbook.core.yamlfile import SafeLoader

RBAC = "/apis/rbac.authorization.k8s.io/v1"
AWS_AUTH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"
READS = {"get", "list", "watch", "*"}
ESCALATING = {"escalate", "bind", "impersonate"}


class Subject(Frozen):
    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str | None = None

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


class Binding(Frozen):
    kind: str  # ClusterRoleBinding | RoleBinding
    name: str
    namespace: str | None
    role_kind: str
    role: str
    subjects: list[Subject] = Field(default_factory=list)
    grants: list[str] = Field(default_factory=list)  # why the role is wide ([] = not wide)


class AwsAuthMapping(Frozen):
    arn: str  # rolearn or userarn
    username: str = ""
    groups: list[str] = Field(default_factory=list)


class RbacState(Frozen):
    bindings: list[Binding] = Field(default_factory=list)
    aws_auth: list[AwsAuthMapping] = Field(default_factory=list)
    aws_auth_error: str | None = None  # the ConfigMap is there but not readable as aws-auth


def wide_grants(rules: list[dict[str, Any]]) -> list[str]:
    """Why these rules are wide, in words (empty: they are not)."""
    out: list[str] = []
    for r in rules:
        verbs, resources = set(r.get("verbs") or []), set(r.get("resources") or [])
        if "*" in verbs and "*" in resources:
            out.append("all verbs on all resources")
            continue
        if "*" in verbs:
            out.append(f"all verbs on {', '.join(sorted(resources)) or 'non-resource URLs'}")
        if "*" in resources:
            out.append(f"{', '.join(sorted(verbs))} on all resources")
        elif "secrets" in resources and verbs & READS:
            out.append("reads secrets")
        if verbs & ESCALATING:
            out.append(f"may {', '.join(sorted(verbs & ESCALATING))}")
    return list(dict.fromkeys(out))


def binding(o: dict[str, Any], roles: dict[tuple[str, str | None, str], list[dict[str, Any]]]) -> Binding:
    meta, ref = o.get("metadata", {}), o.get("roleRef", {})
    ns = meta.get("namespace")
    kind = ref.get("kind", "ClusterRole")
    rules = roles.get((kind, None if kind == "ClusterRole" else ns, ref.get("name", "")), [])
    return Binding(
        kind=o.get("kind") or ("RoleBinding" if ns else "ClusterRoleBinding"),
        name=meta.get("name", ""),
        namespace=ns,
        role_kind=kind,
        role=ref.get("name", ""),
        subjects=[
            Subject(kind=s.get("kind", ""), name=s.get("name", ""), namespace=s.get("namespace"))
            for s in o.get("subjects") or []
        ],
        grants=wide_grants(rules),
    )


def aws_auth(data: dict[str, str]) -> list[AwsAuthMapping]:
    out = []
    for field, arn_key in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
        entries = yaml.load(data.get(field) or "[]", Loader=SafeLoader) or []  # noqa: S506 - opsbook's bounded safe loader
        if not isinstance(entries, list):
            raise ValueError(f"{field} is not a list")
        for e in entries:
            out.append(AwsAuthMapping(arn=str(e[arn_key]), username=str(e.get("username", "")),
                                      groups=[str(g) for g in e.get("groups") or []]))  # fmt: skip
    return out


@collector(
    "k8s.rbac",
    permissions=(
        "list clusterroles.rbac.authorization.k8s.io",
        "list roles.rbac.authorization.k8s.io",
        "list clusterrolebindings.rbac.authorization.k8s.io",
        "list rolebindings.rbac.authorization.k8s.io",
        "get configmaps",
    ),
    target_kind=TargetKind.K8S,
)
def rbac(ctx: CollectContext) -> RbacState:
    from kubernetes.client.exceptions import ApiException

    api = ctx.client("api")
    roles: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
    for kind, path in (("ClusterRole", "clusterroles"), ("Role", "roles")):
        for o in api.list_items(f"{RBAC}/{path}"):
            meta = o.get("metadata", {})
            roles[(kind, meta.get("namespace"), meta.get("name", ""))] = o.get("rules") or []
    bindings = [
        binding(o, roles)
        for path in ("clusterrolebindings", "rolebindings")
        for o in api.list_items(f"{RBAC}/{path}")
    ]
    mappings: list[AwsAuthMapping] = []
    error = None
    try:
        mappings = aws_auth(api.get_json(AWS_AUTH).get("data") or {})
    except ApiException as exc:
        if exc.status != 404:  # no aws-auth: access entries only, or not EKS
            raise
    except (yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError) as exc:
        error = f"aws-auth is not readable: {type(exc).__name__}: {exc}"
    return RbacState(bindings=bindings, aws_auth=mappings, aws_auth_error=error)
