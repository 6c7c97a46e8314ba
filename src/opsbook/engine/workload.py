"""What the planners of Kubernetes workload procedures share (scale-deployment, autoscale, rollout,
blue-green): one named cluster, a deployment given as NAME or NAMESPACE/NAME, and a read-only look at it
and the HPAs that target it. A bad name is InputError (exit 2), a missing deployment NotFound (exit 2), a
cluster that cannot be read its target error (exit 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, OpsbookError
from opsbook.core.models import Resource
from opsbook.engine.failures import as_target_error
from opsbook.procedures.plan import Plan, PlanItem, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams
from opsbook.procedures.smoke import smoke_item

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # a namespace
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")  # a deployment, an HPA
HPAS = "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"


@dataclass(frozen=True)
class Workload:
    cluster: str
    account: str  # the EKS cluster's account ("" for a cluster reached by kubeconfig)
    namespace: str
    name: str
    deployment: dict[str, Any]
    hpas: list[dict[str, Any]] = field(default_factory=list)  # the namespace's HPAs that target it
    hpa_names: frozenset[str] = frozenset()  # every HPA name in the namespace

    @property
    def replicas(self) -> int:
        return int((self.deployment.get("spec") or {}).get("replicas", 1))

    def containers(self) -> list[dict[str, Any]]:
        return list(
            (((self.deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
            or []
        )


def step(n: int, kind: str, action: str, resource: Resource, reason: str, **fields: Any) -> PlanItem:
    """Plan step `n` (ids 001, 002...)."""
    return PlanItem(id=f"{n:03d}", kind=kind, action=action, resource=resource, reason=reason, **fields)


def smoke_step(argv: list[str] | None, label: str, w: Workload, gate: Sequence[str]) -> list[PlanItem]:
    """The smoke-test step after step 001 (none without a command), carrying the plan's health gate."""
    if not argv:
        return []
    return [smoke_item(argv, after="001", label=label, cwd=Path.cwd(), account=w.account, cluster=w.cluster,
                       gate=list(gate))]  # fmt: skip


def workload_plan(
    procedure: str,
    w: Workload,
    items: list[PlanItem],
    params: ProcedureParams,
    request: PlanRequest,
    warnings: list[str],
    on_failure: Literal["stop", "rollback"] = "stop",
) -> Plan:
    """The ordered plan of a workload procedure (its parameters recorded with the cluster)."""
    parameters = params.model_dump(mode="json") | {"cluster": w.cluster}
    return new_plan(procedure, items, ttl=request.ttl, ordered=True, parameters=parameters, warnings=warnings,
                    on_failure=on_failure)  # fmt: skip


def targets(hpa: dict[str, Any], name: str) -> bool:
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return ref.get("kind") == "Deployment" and ref.get("name") == name


@contextmanager
def cluster_api(cfg: Config, name: str, action: str) -> Iterator[Any]:
    """The API client of configured cluster `name` for a planner's reads, closed after; a cluster that
    cannot be read is its target error (exit 3), never a raw client exception."""
    from opsbook.providers.aws.stats import ApiStats
    from opsbook.providers.k8s.client import ClusterClients

    clients = ClusterClients(cfg, ApiStats())
    try:
        yield clients.api_client(clients.cluster(name), f"k8s:{name}")
    except OpsbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - the cluster could not be read: its target error, exit 3
        raise as_target_error(exc, where=f"cluster {name}", action=action) from None
    finally:
        clients.close()


def one_cluster(cfg: Config, request: PlanRequest, procedure: str) -> tuple[str, str]:
    """The request's one `--cluster` and the account of its `eks:` ("" for a kubeconfig cluster)."""
    if len(request.clusters) != 1:
        have = ", ".join(c.name for c in cfg.clusters) or "none configured"
        raise InputError(f"opsbook plan {procedure}: name one --cluster (have: {have})")
    cluster = request.clusters[0]
    return cluster, next((c.eks.account for c in cfg.clusters if c.name == cluster and c.eks), "")


def split_name(procedure: str, flag: str, value: str, namespace: str) -> tuple[str, str]:
    """(namespace, name) of `value`, NAME in `namespace` or NAMESPACE/NAME; InputError naming `flag`."""
    ns, _, name = value.rpartition("/")
    ns = ns or namespace
    if not DNS_LABEL.fullmatch(ns) or not DNS_NAME.fullmatch(name):
        raise InputError(f"opsbook plan {procedure}: {flag} {value!r}: expected NAME or NAMESPACE/NAME")
    return ns, name


def read_workload(
    cfg: Config,
    request: PlanRequest,
    procedure: str,
    deployment: str,
    namespace: str,
    flag: str = "--deployment",
) -> Workload:
    """The deployment `deployment` (NAME in `namespace`, or NAMESPACE/NAME) on the request's one cluster;
    `flag` is how the user gave it (an option, or a positional argument's name)."""
    cluster, account = one_cluster(cfg, request, procedure)
    ns, name = split_name(procedure, flag, deployment, namespace)
    from kubernetes.client.exceptions import ApiException

    with cluster_api(cfg, cluster, "get deployments.apps") as api:
        try:
            dep = api.get_json(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        except ApiException as exc:
            if exc.status == 404:
                raise NotFound(f"deployment {ns}/{name} not found in cluster {cluster}") from None
            raise
        hpas = api.list_items(HPAS.format(ns=ns))
    mine = [h for h in hpas if targets(h, name)]
    names = frozenset(h["metadata"]["name"] for h in hpas)
    return Workload(cluster, account, ns, name, dep, mine, names)
