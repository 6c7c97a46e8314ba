"""The Kubernetes half of `opsbook diagnose`, per cluster: `kubectl top nodes`, pods by node, `describe`
of unhealthy nodes and pods with their events, recent logs (--tail 100, and the previous instance of a
restarting container) of failing pods and of the named services' pods, and each deployment's rollout
history (ReplicaSet revisions with their times). Unhealthy is the daily checks' rule (k8s_views).

Never a secret value: no Secret is read, and a pod's `env` keeps names only (as `describe` shows them)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from opsbook.collect.k8s.logs import tail
from opsbook.collect.k8s.models import K8sPod
from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.labels import compile_labels
from opsbook.core.models import Target
from opsbook.engine.diagnose_bundle import Bundle, table
from opsbook.engine.inventory import Inventory
from opsbook.engine.k8s_views import get, node_rows, restart_rule, sort_top, unhealthy_rows
from opsbook.procedures.k8s_rollout import revision_of
from opsbook.procedures.k8s_scale import images_of
from opsbook.procedures.velero import get_or_none

Obj = dict[str, Any]
MAX_DESCRIBED = 20  # unhealthy objects described per cluster
MAX_LOGGED = 20  # pods whose logs are read per cluster (a Pending pod that never ran has none)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def collect_cluster(b: Bundle, cfg: Config, runner: Any, target: Target, services: list[str], since: timedelta,
                    now: datetime) -> None:  # fmt: skip
    t = target.key
    client = b.attempt(t, "connect to the cluster", lambda: runner.prepare(target))
    if client is None:
        return
    inv, api = Inventory(target, cfg, now, client), client("api")
    rows = b.attempt(t, "top nodes", lambda: sort_top(node_rows(inv)))
    if rows is not None:
        b.add(t, "top-nodes", "kubectl top nodes", rows,
              table(rows, ["node", "cpu_m", "cpu_percent", "memory_mib", "memory_percent"]))  # fmt: skip
    pods: list[K8sPod] = b.attempt(t, "list pods", lambda: get(inv, "k8s.pods")) or []
    by_node = [{"node": p.node, "namespace": p.namespace, "pod": p.name, "status": p.status, "ready": p.ready,
                "restarts": p.restarts} for p in sorted(pods, key=lambda p: (p.node or "", p.key))]  # fmt: skip
    if pods:
        b.add(t, "pods-by-node", "kubectl get pods -A --sort-by=.spec.nodeName", by_node,
              table(by_node, ["node", "namespace", "pod", "status", "ready", "restarts"]))  # fmt: skip
    bad = (
        b.attempt(t, "unhealthy nodes, pods, deployments", lambda: unhealthy_rows(inv, restart_rule(cfg)))
        or []
    )
    for r in bad:
        b.headline(t, headline(r))
    for r in [r for r in bad if r["kind"] in ("Node", "Pod")][:MAX_DESCRIBED]:
        what = f"describe {r['kind'].lower()} {r['namespace'] + '/' if r['namespace'] else ''}{r['name']}"
        b.attempt(t, what, partial(describe, b, api, t, r["kind"], r["namespace"], r["name"]))
    failing = {(r["namespace"], r["name"]) for r in bad if r["kind"] == "Pod"}
    chosen = [p for p in pods if (p.namespace, p.name) in failing and (p.phase != "Pending" or p.restarts)]
    for sel in services:
        matched = b.attempt(t, f"pods of {sel}", partial(service_pods, api, pods, sel)) or []
        chosen += [p for p in matched if p not in chosen]
    for p in chosen[:MAX_LOGGED]:
        b.attempt(t, f"logs of pod {p.key}", partial(logs, b, api, t, p))
    b.attempt(t, "rollout history", lambda: history(b, api, t, since, now))


def headline(row: Obj) -> str:
    name = f"{row['namespace']}/{row['name']}" if row["namespace"] else row["name"]
    if row["kind"] == "Node":
        ready = "NotReady: " if "Ready=" in row["status"] else ""
        return f"node {name} {ready}{row['status']}"
    if row["kind"] == "Pod":
        return f"pod {name} {row['status']}, {row['restarts']} restarts" + (
            f" ({row['detail']})" if row["detail"] else ""
        )
    return f"deployment {name} {row['status']}" + (f", {row['detail']}" if row["detail"] else "")


def service_pods(api: Any, pods: list[K8sPod], service: str) -> list[K8sPod]:
    """The pods of `NS/DEPLOYMENT` (its selector's labels, in its namespace) or of a label selector."""
    if "=" not in service and "/" in service:
        ns, name = service.split("/", 1)
        dep = get_or_none(api, f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        if dep is None:
            raise InputError(f"--service {service}: no such deployment")
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return [p for p in pods if p.namespace == ns and labels and labels.items() <= p.labels.items()]
    match = compile_labels(service)
    return [p for p in pods if match(p.labels)]


def events_of(api: Any, kind: str, namespace: str, name: str) -> list[Obj]:
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    doc = api.get_json(path, {"fieldSelector": f"involvedObject.kind={kind},involvedObject.name={name}"})
    items: list[Obj] = doc.get("items") or []
    return sorted(items, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))


def without_secrets(obj: Obj) -> Obj:
    """A copy for the bundle: env names only (no values, no references), no managedFields or last-applied."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata") or {}
    meta.pop("managedFields", None)
    (meta.get("annotations") or {}).pop(LAST_APPLIED, None)
    spec = out.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if "env" in c:
            c["env"] = [{"name": e.get("name", "")} for e in c["env"]]
    return out


def describe(b: Bundle, api: Any, t: str, kind: str, namespace: str, name: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/pods/{name}" if kind == "Pod" else f"/api/v1/nodes/{name}"
    obj = without_secrets(api.get_json(path))
    events = events_of(api, kind, namespace, name)
    text = (describe_pod(obj) if kind == "Pod" else describe_node(obj)) + "\n" + events_text(events)
    stem = f"describe-{kind.lower()}.{namespace + '.' if namespace else ''}{name}"
    b.add(t, stem, f"kubectl describe {kind.lower()} {name}", {"object": obj, "events": events}, text)


def events_text(events: list[Obj]) -> str:
    rows = [{"type": e.get("type"), "reason": e.get("reason"), "count": e.get("count"),
             "last_seen": e.get("lastTimestamp"), "from": (e.get("source") or {}).get("component"),
             "message": e.get("message")} for e in events]  # fmt: skip
    return "Events:\n" + (table(rows, list(rows[0])) if rows else "  <none>")


def describe_pod(pod: Obj) -> str:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    owner: Obj = next(iter(meta.get("ownerReferences") or []), {})
    lines = [f"Name:           {meta.get('name')}", f"Namespace:      {meta.get('namespace')}",
             f"Node:           {spec.get('nodeName') or '<none>'}", f"Start Time:     {status.get('startTime')}",
             "Labels:         " + ", ".join(f"{k}={v}" for k, v in (meta.get("labels") or {}).items()),
             f"Status:         {status.get('phase')}", f"IP:             {status.get('podIP') or '<none>'}",
             f"Controlled By:  {owner.get('kind', '')}/{owner.get('name', '')}", "Containers:"]  # fmt: skip
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    for c in spec.get("containers") or []:
        s = statuses.get(c["name"], {})
        lines += [f"  {c['name']}:", f"    Image:          {c.get('image')}"]
        for label, state in (("State", s.get("state")), ("Last State", s.get("lastState"))):
            for phase, detail in (state or {}).items():
                lines.append(f"    {label + ':':<16}{phase.capitalize()}")
                lines += [f"      {k}: {v}" for k, v in (detail or {}).items() if k in ("reason", "exitCode", "message", "startedAt", "finishedAt")]  # fmt: skip
        lines += [f"    Ready:          {s.get('ready')}", f"    Restart Count:  {s.get('restartCount', 0)}",
                  f"    Requests:       {(c.get('resources') or {}).get('requests') or '<none>'}",
                  f"    Limits:         {(c.get('resources') or {}).get('limits') or '<none>'}",
                  "    Environment:    " + (", ".join(e["name"] for e in c.get("env") or []) or "<none>")
                  + (" (values not shown)" if c.get("env") else "")]  # fmt: skip
    lines.append("Conditions:")
    lines += [f"  {c.get('type'):<16}{c.get('status')}" for c in status.get("conditions") or []]
    return "\n".join(lines)


def describe_node(node: Obj) -> str:
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    lines = [f"Name:           {meta.get('name')}",
             "Labels:         " + ", ".join(f"{k}={v}" for k, v in (meta.get("labels") or {}).items()),
             "Taints:         " + (", ".join(f"{t.get('key')}:{t.get('effect')}" for t in spec.get("taints") or []) or "<none>"),
             f"Unschedulable:  {bool(spec.get('unschedulable'))}", "Conditions:"]  # fmt: skip
    rows = [{"type": c.get("type"), "status": c.get("status"), "last_heartbeat": c.get("lastHeartbeatTime"),
             "reason": c.get("reason"), "message": c.get("message")} for c in status.get("conditions") or []]  # fmt: skip
    lines.append(
        table(rows, ["type", "status", "last_heartbeat", "reason", "message"]) if rows else "  <none>"
    )
    lines += [f"Capacity:       {status.get('capacity')}", f"Allocatable:    {status.get('allocatable')}",
              f"Kubelet:        {(status.get('nodeInfo') or {}).get('kubeletVersion')}"]  # fmt: skip
    return "\n".join(lines)


def logs(b: Bundle, api: Any, t: str, pod: K8sPod) -> None:
    tails = [tail(api, pod, c.name) for c in pod.containers]
    tails += [tail(api, pod, c.name, previous=True) for c in pod.containers if c.restart_count]
    data: list[Obj] = [{"container": x.container, "previous": i >= len(pod.containers), "error": x.error,
             "lines": list(x.lines)} for i, x in enumerate(tails)]  # fmt: skip
    text = "\n\n".join(
        f"== {d['container']}{' (previous instance)' if d['previous'] else ''}"
        + (f": no log ({d['error']})" if d["error"] else "") + "\n" + "\n".join(d["lines"]) for d in data
    )  # fmt: skip
    b.add(t, f"logs.{pod.namespace}.{pod.name}", f"kubectl logs {pod.name} -n {pod.namespace} --tail=100",
          data, text)  # fmt: skip


def history(b: Bundle, api: Any, t: str, since: timedelta, now: datetime) -> None:
    from opsbook.collect.k8s.convert import when

    out: dict[str, list[Obj]] = {}
    for rs in api.list_items("/apis/apps/v1/replicasets"):
        meta = rs.get("metadata") or {}
        owner = next((o for o in meta.get("ownerReferences") or [] if o.get("kind") == "Deployment"), None)
        if owner is None:
            continue
        created = when(meta.get("creationTimestamp"))
        out.setdefault(f"{meta.get('namespace')}/{owner.get('name')}", []).append(
            {
                "revision": revision_of(rs),
                "replicaset": meta.get("name"),
                "created": created,
                "images": images_of((rs.get("spec") or {}).get("template") or {}),
                "replicas": (rs.get("status") or {}).get("replicas", 0),
                "recent": bool(created and created >= now - since),
            }  # fmt: skip
        )
    rows = []
    for dep, revisions in sorted(out.items()):
        revisions.sort(key=lambda r: int(r["revision"]) if r["revision"].isdigit() else 0, reverse=True)
        for r in revisions:
            rows.append({"deployment": dep, **r})
            if r["recent"]:
                ago = round((now - r["created"]).total_seconds() / 3600, 1)
                images = ", ".join(f"{k}={v}" for k, v in r["images"].items())
                b.change(
                    t, f"deployment {dep} revision {r['revision']} ({r['replicaset']}) {ago} h ago: {images}"
                )
    b.add(t, "rollout-history", "kubectl rollout history (ReplicaSet revisions)", out,
          table(rows, ["deployment", "revision", "replicaset", "created", "replicas", "images", "recent"]))  # fmt: skip
