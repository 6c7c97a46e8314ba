"""Draining nodes, as the cluster's API shows it: which PodDisruptionBudgets block the eviction of the pods on
some nodes (`kubectl get pdb -A`: ALLOWED DISRUPTIONS 0, and the pods each selects there), and what is still
coming back after their nodes were replaced: pods starting, ReplicaSets short of pods (so a health gate
judges a settled cluster, not pods that are being re-created).

A budget's selector is a LabelSelector (`matchLabels` and `matchExpressions`), read by core/labels.py's
`selector_matches` as the pre-flight reads it: a missing selector selects nothing, an empty one every pod of
its namespace (policy/v1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opsbook.collect.k8s.cluster_info import PDBS, pdb_model
from opsbook.collect.k8s.convert import pod as pod_model
from opsbook.collect.k8s.models import BAD_WAITING, K8sPod
from opsbook.core.labels import selector_matches


@dataclass(frozen=True)
class Blocker:
    """A budget that allows no disruption now, and the pods it protects on the nodes being drained."""

    pdb: str  # namespace/name
    rule: str  # "minAvailable 3" / "maxUnavailable 0"
    healthy: str  # "3 healthy of 3 needed"
    pods: tuple[str, ...]  # "namespace/pod on node"

    def text(self) -> str:
        return (
            f"PodDisruptionBudget {self.pdb} ({self.rule}; {self.healthy}; 0 disruptions allowed) "
            f"protects {', '.join(self.pods[:5])}{' ...' if len(self.pods) > 5 else ''}"
        )


def live_pods(api: Any) -> list[K8sPod]:
    """Every pod that is not terminating (a deleted pod on its way out blocks nothing)."""
    return [
        pod_model(p)
        for p in api.list_items("/api/v1/pods")
        if not (p.get("metadata") or {}).get("deletionTimestamp")
    ]


def eviction_blockers(api: Any, node_names: Iterable[str], pods: list[K8sPod] | None = None) -> list[Blocker]:
    """The budgets with 0 disruptions allowed that select pods running on `node_names`."""
    nodes = set(node_names)
    pods = live_pods(api) if pods is None else pods
    on_nodes = [p for p in pods if p.node in nodes and not p.terminated]
    out = []
    for pdb in map(pdb_model, api.list_items(PDBS)):
        if (pdb.disruptions_allowed or 0) > 0:
            continue
        hit = [
            p for p in on_nodes if p.namespace == pdb.namespace and selector_matches(pdb.selector, p.labels)
        ]
        if not hit:
            continue
        healthy = f"{_known(pdb.current_healthy)} healthy of {_known(pdb.desired_healthy)} needed"
        out.append(Blocker(pdb.key, pdb.rule, healthy, tuple(sorted(f"{p.key} on {p.node}" for p in hit))))
    return sorted(out, key=lambda b: b.pdb)


def _known(value: int | None) -> str:
    return "?" if value is None else str(value)


def blockers_text(blockers: list[Blocker]) -> str:
    return "; ".join(b.text() for b in blockers)


def stuck(p: K8sPod) -> bool:
    """A pod that will not start by waiting: unschedulable, or a container failing (image, crash loop)."""
    return bool(p.unschedulable) or any(
        c.state == "waiting" and c.reason in BAD_WAITING for c in p.containers
    )


def starting(p: K8sPod) -> bool:
    """A pod on its way to running: being scheduled, created, or not ready yet, and not stuck."""
    if p.terminated or stuck(p):
        return False
    if p.phase == "Pending":
        return True
    return p.phase == "Running" and not all(c.ready for c in p.containers)


def unsettled(api: Any, excused: Iterable[str] = (), *, stuck_too: bool = False) -> list[str]:
    """What is still coming back after pods were evicted or nodes replaced, but for `excused` (what was so
    before the change): pods starting (`namespace/pod`); ReplicaSets with fewer live pods than they want
    (`namespace/replicaset 1/2 pods`: an evicted pod is gone before its ReplicaSet makes the next one); and
    Deployments whose status does not show them available yet (`namespace/deployment 1/2 available`: the
    status follows the pods). Anything with a stuck pod is not coming back by waiting: the gates judge it;
    `stuck_too` lists it as well (before a change: everything not settled then is excused later)."""
    skip = set(excused)
    pods = live_pods(api)
    out = sorted(p.key for p in pods if (starting(p) or (stuck_too and stuck(p))) and p.key not in skip)
    owned: dict[str, list[K8sPod]] = {}
    for p in pods:
        if p.owner and p.owner.startswith("ReplicaSet/"):
            owned.setdefault(f"{p.namespace}/{p.owner.split('/', 1)[1]}", []).append(p)
    broken: set[str] = set()  # deployments with a stuck pod
    for rs in api.list_items("/apis/apps/v1/replicasets"):
        meta = rs.get("metadata") or {}
        key = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
        want, mine = int((rs.get("spec") or {}).get("replicas") or 0), owned.get(key, [])
        if any(stuck(p) for p in mine) and not stuck_too:
            broken |= {
                f"{meta.get('namespace', '')}/{o.get('name')}" for o in meta.get("ownerReferences") or []
            }
        elif key not in skip and len(mine) < want:
            out.append(f"{key} {len(mine)}/{want} pods")
    for d in api.list_items("/apis/apps/v1/deployments"):
        meta, spec, status = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
        key = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
        want, available = int(spec.get("replicas", 1) or 0), int(status.get("availableReplicas") or 0)
        if key not in skip and key not in broken and available < want:
            out.append(f"{key} {available}/{want} available")
    return out


def settled(api: Any, progress: str, excused: Iterable[str] = ()) -> tuple[bool, str]:
    """A wait's verdict: (True, progress) when nothing is still coming back (`unsettled`), else (False,
    progress and what is)."""
    moving = unsettled(api, excused)
    if not moving:
        return True, progress
    return False, f"{progress}; still coming back: {', '.join(moving[:3])}{' ...' if len(moving) > 3 else ''}"
