"""Velero's Backups and Schedules (velero.io/v1) in its namespace, like `kubectl get backups -n velero`.

A cluster without Velero (the velero.io API group or the namespace is absent: 404) yields
`VeleroState(installed=False)`, which the backup check reports as its own finding, not as an error.
"""

from __future__ import annotations

from opsbook.collect.k8s import convert
from opsbook.collect.k8s.models import VeleroState
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind

NAMESPACE = "velero"
API = "/apis/velero.io/v1"


@collector(
    "k8s.velero",
    permissions=("list backups.velero.io", "list schedules.velero.io"),
    target_kind=TargetKind.K8S,
)
def velero(ctx: CollectContext) -> VeleroState:
    from kubernetes.client.exceptions import ApiException

    api = ctx.client("api")
    try:
        schedules = api.list_items(f"{API}/namespaces/{NAMESPACE}/schedules")
        backups = api.list_items(f"{API}/namespaces/{NAMESPACE}/backups")
    except ApiException as exc:
        if exc.status == 404:
            return VeleroState(namespace=NAMESPACE, installed=False)
        raise
    return VeleroState(
        namespace=NAMESPACE,
        schedules=tuple(convert.velero_schedule(o) for o in schedules),
        backups=tuple(convert.velero_backup(o) for o in backups),
    )
