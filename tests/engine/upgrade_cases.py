"""What the upgrade pre-flight exists to find, made on the session sandbox for one test and undone after:
a skewed kubelet and node group, an object applied with a removed API, a client of a deprecated API, a
PodDisruptionBudget that blocks drains, an unhealthy node group, a vCPU quota too small for the surge, a
stack whose kubernetes_version drifted. Each is a context manager (the sandbox is shared: undo always)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from opsbook.core.config import Config
from opsbook.core.kube_versions import minor_of, next_minor, text
from opsbook.sandbox.estate import CLUSTER, KUBERNETES_VERSION, REGION, account

PROD = account("prod")
CURRENT = minor_of(KUBERNETES_VERSION) or (0, 0)
TO = text(next_minor(CURRENT))  # the one-minor upgrade the seed is ready for
TOO_OLD = text((CURRENT[0], CURRENT[1] - 3))  # 4 minors behind TO: beyond the kubelet skew policy
MERGE = "application/merge-patch+json"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SKEWED_NODE = "ip-10-0-1-10.ec2.internal"  # prod's `system` node


def _nodegroup(name: str) -> Any:
    from moto.eks.models import eks_backends

    return eks_backends[PROD.id][REGION].clusters[CLUSTER].nodegroups[name]


@contextmanager
def skewed_versions(sandbox: Any) -> Iterator[None]:
    """prod's `system` node group (EKS) and its node's kubelet (Kubernetes) at TOO_OLD."""
    store, ng = sandbox.kube.store, _nodegroup("system")
    kubelet = store.get("nodes", SKEWED_NODE)["status"]["nodeInfo"]["kubeletVersion"]
    before = ng.version
    ng.version = TOO_OLD
    store.patch("nodes", SKEWED_NODE, {"status": {"nodeInfo": {"kubeletVersion": f"v{TOO_OLD}.9-eks-1"}}}, MERGE,
                subresource="status")  # fmt: skip
    try:
        yield
    finally:
        ng.version = before
        store.patch("nodes", SKEWED_NODE, {"status": {"nodeInfo": {"kubeletVersion": kubelet}}}, MERGE,
                    subresource="status")  # fmt: skip


def applied(obj: dict[str, Any], as_version: str) -> dict[str, Any]:
    """`obj` as `kubectl apply` leaves it when its manifest said `apiVersion: as_version`."""
    manifest = {**obj, "apiVersion": as_version}
    meta = {**obj["metadata"], "annotations": {LAST_APPLIED: json.dumps(manifest)}}
    return {**obj, "metadata": meta}


CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "weekly-export", "namespace": "production"},
           "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {
               "restartPolicy": "OnFailure", "containers": [{"name": "report", "image": "mycompany/report:1.0"}]}}}}}}  # fmt: skip


@contextmanager
def removed_api_object(sandbox: Any, as_version: str = "batch/v1beta1") -> Iterator[str]:
    """A CronJob last applied from a manifest that still says `as_version` (removed in 1.25)."""
    store = sandbox.kube.store
    store.create(applied(CRONJOB, as_version))
    try:
        yield "CronJob/production/weekly-export"
    finally:
        store.delete("cronjobs.batch", "weekly-export", "production")


def pdb(name: str, app: str, **rule: int) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": "production"},
            "spec": {"selector": {"matchLabels": {"app": app}}, **rule}}  # fmt: skip


@contextmanager
def disruption_budgets(sandbox: Any) -> Iterator[None]:
    """`payments` (3 replicas) must keep 3: no drain can evict one; `myapp` may lose one."""
    store = sandbox.kube.store
    store.create(pdb("payments", "payments", minAvailable=3))
    store.create(pdb("myapp", "myapp", maxUnavailable=1))
    sandbox.kube.controllers.reconcile()  # the disruption controller fills their status at once
    try:
        yield
    finally:
        for name in ("payments", "myapp"):
            store.delete("poddisruptionbudgets.policy", name, "production")


WIDGETS = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1beta1", "served": True, "storage": False, "deprecated": True,
                                  "schema": {"openAPIV3Schema": {"type": "object"}}},
                                 {"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object"}}}]}}  # fmt: skip


@contextmanager
def deprecated_api_client(sandbox: Any, cfg: Config) -> Iterator[str]:
    """A CRD whose v1beta1 is deprecated, and a client that lists widgets through it (real HTTP)."""
    from opsbook.engine.workload import cluster_api

    store = sandbox.kube.store
    store.create(WIDGETS)
    sandbox.kube.controllers.reconcile()  # established: its versions are served
    try:
        with cluster_api(cfg, CLUSTER, "list widgets.example.com") as api:
            api.get_json("/apis/example.com/v1beta1/widgets")
            api.get_json("/apis/example.com/v1/widgets")  # the current version is not recorded
        yield "example.com/v1beta1/widgets"
    finally:
        store.delete("customresourcedefinitions.apiextensions.k8s.io", "widgets.example.com")
        sandbox.kube.controllers.reconcile()
        sandbox.kube.api.deprecated.clear()  # as an API server restart would


@contextmanager
def unhealthy_nodegroup() -> Iterator[str]:
    ng = _nodegroup("application")
    before = (ng.status, ng.health)
    ng.status = "DEGRADED"
    ng.health = {"issues": [{"code": "Ec2SubnetInvalidConfiguration", "message": "subnet has no free addresses",
                             "resourceIds": ["subnet-x"]}]}  # fmt: skip
    try:
        yield f"{CLUSTER}/application"
    finally:
        ng.status, ng.health = before


@contextmanager
def vcpu_quota(sandbox: Any, vcpus: float) -> Iterator[None]:
    """prod's standard on-demand vCPU quota set to `vcpus` (sandbox/aws/services/servicequotas.py)."""
    quotas = sandbox.data.extra.setdefault("servicequotas", {}).setdefault(PROD.id, {})
    quotas["ec2/L-1216C47A"] = vcpus
    try:
        yield
    finally:
        quotas.pop("ec2/L-1216C47A", None)


def drifted_stacks(cfg: Config, tmp: Path, version: str) -> Config:
    """`cfg` reading a copy of the stacks tree whose prod eks sets `kubernetes_version: version`."""
    assert cfg.stacks is not None and cfg.stacks.atmos_config
    root = tmp / "stacks-tree"
    shutil.copytree(cfg.stacks.atmos_config, root)
    manifest = root / "stacks/orgs/mycompany/prod/use1/eks.yaml"
    doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    doc["components"]["terraform"]["eks"]["vars"]["kubernetes_version"] = version
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    stacks = cfg.stacks.model_copy(update={"atmos_config": str(root)})
    return cfg.model_copy(update={"stacks": stacks})
