"""Raw Kubernetes JSON -> the typed models of models.py (tolerant: missing fields take defaults)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbook.collect.k8s.models import (
    Condition,
    K8sContainer,
    K8sDeployment,
    K8sHpa,
    K8sNode,
    K8sPod,
    VeleroBackup,
    VeleroSchedule,
)
from opsbook.collect.k8s.quantity import bytes_of, millicores

Obj = dict[str, Any]


def when(text: Any) -> datetime | None:
    if not text or not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def conditions(items: list[Obj] | None) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            type=str(c.get("type", "")),
            status=str(c.get("status", "Unknown")),
            reason=c.get("reason") or "",
            message=c.get("message") or "",
            since=when(c.get("lastTransitionTime")),
        )
        for c in items or []
    )


def node(obj: Obj) -> K8sNode:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    conds = conditions(status.get("conditions"))
    ready = next((c.status for c in conds if c.type == "Ready"), "Unknown")
    labels = meta.get("labels") or {}
    alloc = status.get("allocatable") or {}
    return K8sNode(
        name=meta.get("name", ""),
        ready=ready,
        conditions=conds,
        unschedulable=bool(spec.get("unschedulable")),
        taints=tuple(f"{t.get('key')}:{t.get('effect')}" for t in spec.get("taints") or []),
        allocatable_cpu_m=millicores(alloc.get("cpu")),
        allocatable_memory=bytes_of(alloc.get("memory")),
        allocatable_pods=_count(alloc.get("pods")),
        nodegroup=labels.get("eks.amazonaws.com/nodegroup"),
        instance_type=labels.get("node.kubernetes.io/instance-type"),
        kubelet_version=(status.get("nodeInfo") or {}).get("kubeletVersion"),
        created=when(meta.get("creationTimestamp")),
    )


def _count(text: Any) -> int | None:
    value = bytes_of(text)  # a plain quantity ("29", "1k")
    return None if value is None else int(value)


def _container(spec: Obj, status: Obj | None) -> K8sContainer:
    res = spec.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    status = status or {}
    state_obj = status.get("state") or {}
    state = next((k for k in ("running", "waiting", "terminated") if k in state_obj), "unknown")
    detail = state_obj.get(state) or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    return K8sContainer(
        name=spec.get("name", ""),
        image=spec.get("image", ""),
        requests_cpu_m=millicores(req.get("cpu")),
        requests_memory=bytes_of(req.get("memory")),
        limits_cpu_m=millicores(lim.get("cpu")),
        limits_memory=bytes_of(lim.get("memory")),
        ready=bool(status.get("ready")),
        restart_count=int(status.get("restartCount") or 0),
        state=state,
        reason=detail.get("reason"),
        message=detail.get("message"),
        last_reason=last.get("reason"),
        last_exit_code=last.get("exitCode"),
        last_finished_at=when(last.get("finishedAt")),
    )


def pod(obj: Obj) -> K8sPod:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    scheduled: Obj = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
    unschedulable = None
    if scheduled.get("status") == "False":
        unschedulable = (
            f"{scheduled.get('reason') or 'Unschedulable'}: {scheduled.get('message') or ''}".strip()
        )
    return K8sPod(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        phase=status.get("phase") or "Unknown",
        node=spec.get("nodeName"),
        labels=meta.get("labels") or {},
        owner=f"{owner.get('kind')}/{owner.get('name')}" if owner else None,
        created=when(meta.get("creationTimestamp")),
        reason=status.get("reason"),
        message=status.get("message"),
        unschedulable=unschedulable,
        containers=tuple(_container(c, statuses.get(c.get("name"))) for c in spec.get("containers") or []),
    )


def deployment(obj: Obj, replica_sets: list[Obj]) -> K8sDeployment:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    conds = conditions(status.get("conditions"))
    revision = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision")
    moments = []
    owned = [
        rs
        for rs in replica_sets
        if (rs.get("metadata") or {}).get("namespace") == namespace
        and any(
            o.get("kind") == "Deployment" and o.get("name") == name
            for o in (rs.get("metadata") or {}).get("ownerReferences") or []
        )
    ]
    current = [
        rs
        for rs in owned
        if (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision") == revision
    ] or owned
    moments += [when(rs["metadata"].get("creationTimestamp")) for rs in current]
    template = spec.get("template") or {}
    restarted = ((template.get("metadata") or {}).get("annotations") or {}).get(
        "kubectl.kubernetes.io/restartedAt"
    )
    moments.append(when(restarted))
    if not owned:  # no ReplicaSets readable: the Progressing condition's last update is the best hint
        progressing: Obj = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {}
        )
        moments.append(when(progressing.get("lastUpdateTime")))
    known = [m for m in moments if m is not None]
    replicas = int(spec["replicas"]) if spec.get("replicas") is not None else 1
    ready = int(status.get("readyReplicas") or 0)
    return K8sDeployment(
        namespace=namespace,
        name=name,
        replicas=replicas,
        ready=ready,
        available=int(status.get("availableReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        unavailable=int(
            status.get("unavailableReplicas") or max(replicas - int(status.get("availableReplicas") or 0), 0)
        ),
        revision=revision,
        images=tuple(c.get("image", "") for c in (template.get("spec") or {}).get("containers") or []),
        created=when(meta.get("creationTimestamp")),
        rolled_out_at=max(known) if known else None,
        conditions=conds,
        generation=_int(meta.get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _metric_text(m: Obj) -> str:
    kind = m.get("type", "")
    body = m.get({"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
                  "Object": "object", "External": "external"}.get(kind, "")) or {}  # fmt: skip
    name = body.get("name") or (body.get("metric") or {}).get("name") or kind
    current = body.get("current") or {}
    if "averageUtilization" in current:
        return f"{name} {current['averageUtilization']}%"
    value = current.get("averageValue") or current.get("value")
    return f"{name} {value}" if value is not None else name


def hpa(obj: Obj) -> K8sHpa:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    return K8sHpa(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        target=f"{ref.get('kind', '')}/{ref.get('name', '')}",
        min_replicas=int(spec.get("minReplicas") or 1),
        max_replicas=int(spec.get("maxReplicas") or 1),
        current=int(status.get("currentReplicas") or 0),
        desired=int(status.get("desiredReplicas") or 0),
        conditions=conditions(status.get("conditions")),
        current_metrics=tuple(_metric_text(m) for m in status.get("currentMetrics") or []),
    )


def velero_backup(obj: Obj) -> VeleroBackup:
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    return VeleroBackup(
        name=meta.get("name", ""),
        schedule=(meta.get("labels") or {}).get("velero.io/schedule-name") or None,
        phase=status.get("phase") or "New",
        created=when(meta.get("creationTimestamp")),
        started=when(status.get("startTimestamp")),
        completed=when(status.get("completionTimestamp")),
        errors=int(status.get("errors") or 0),
        warnings=int(status.get("warnings") or 0),
        failure_reason=status.get("failureReason") or None,
    )


def velero_schedule(obj: Obj) -> VeleroSchedule:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    return VeleroSchedule(
        name=meta.get("name", ""),
        cron=str(spec.get("schedule") or ""),
        paused=bool(spec.get("paused")),
        phase=status.get("phase") or "",
        last_backup=when(status.get("lastBackup")),
    )
