"""A restore drill's comparison: what came back into the scratch namespaces against what the backup holds.

Compared: every namespaced item of the backup's drilled namespaces, by kind and name (missing, or restored
though the backup does not hold it), counts per kind, and a content digest for ConfigMaps (`data` and
`binaryData`) and Deployments (`spec.template`, its server-set metadata stripped as `backup export-cluster`
strips it). Not compared: objects a controller owns (a ReplicaSet's pods: their owner recreates them),
records rather than configuration (events, endpoints) and Velero's own kinds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from opsbook.engine.cluster_export import strip_runtime
from opsbook.engine.drill_contents import Item
from opsbook.procedures.velero import RESTORE_LABEL, get_or_none

Obj = dict[str, Any]
NOT_COMPARED = {"events", "events.events.k8s.io", "endpoints", "endpointslices.discovery.k8s.io"}


def comparable(item: Item) -> bool:
    refs = (item.obj.get("metadata") or {}).get("ownerReferences") or []
    return (
        bool(item.namespace)
        and item.resource not in NOT_COMPARED
        and not item.resource.endswith(".velero.io")
        and not any(r.get("controller") for r in refs)
    )


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def digest(resource: str, obj: Obj) -> str | None:
    """The content digest of a ConfigMap or Deployment (None for other kinds)."""
    if resource == "configmaps":
        return _sha({"data": obj.get("data") or {}, "binaryData": obj.get("binaryData") or {}})
    if resource == "deployments.apps":
        template = dict((obj.get("spec") or {}).get("template") or {})
        template["metadata"] = strip_runtime(template.get("metadata") or {})
        return _sha(template)
    return None


def api_path(resource: str, api_version: str, namespace: str | None = None) -> str:
    plural = resource.split(".", 1)[0]
    base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    return f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"


@dataclass(frozen=True)
class Difference:
    kind: str
    namespace: str  # the backed-up (source) namespace
    name: str
    problem: str  # missing | unexpected | changed
    message: str


@dataclass
class Comparison:
    differences: list[Difference] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)  # kind -> [backed up, restored]

    @property
    def compared(self) -> int:
        return sum(c[0] for c in self.counts.values())


def compare(api: Any, items: list[Item], mapping: dict[str, str], restore: str) -> Comparison:
    """Read the scratch namespaces back and compare them with `items` (the backup's, source namespaces)."""
    result = Comparison()
    by_resource: dict[str, list[Item]] = {}
    for item in items:
        if comparable(item) and item.namespace in mapping:
            by_resource.setdefault(item.resource, []).append(item)
    back = {scratch: src for src, scratch in mapping.items()}
    for resource, group in sorted(by_resource.items()):
        api_version = str(group[0].obj.get("apiVersion") or "v1")
        kind = group[0].kind
        counts = result.counts.setdefault(kind, [len(group), 0])
        labelled = api.list_items(
            api_path(resource, api_version), label_selector=f"{RESTORE_LABEL}={restore}"
        )
        restored = {
            (back.get(o["metadata"].get("namespace", ""), ""), o["metadata"]["name"]): o for o in labelled
        }
        for item in sorted(group, key=lambda i: (i.namespace, i.name)):
            live = restored.pop((item.namespace, item.name), None)
            where = f"{kind} {item.namespace}/{item.name}"
            if (
                live is None
            ):  # not labelled by the restore: one the cluster made itself (a default ServiceAccount)?
                live = get_or_none(
                    api, f"{api_path(resource, api_version, mapping[item.namespace])}/{item.name}"
                )
            if live is None:
                result.differences.append(Difference(kind, item.namespace, item.name, "missing",
                                                     f"{where} is in the backup but was not restored"))  # fmt: skip
                continue
            counts[1] += 1
            want, got = digest(resource, item.obj), digest(resource, live)
            if want != got:
                result.differences.append(Difference(kind, item.namespace, item.name, "changed",
                    f"{where} came back different ({'data' if kind == 'ConfigMap' else 'pod template'} "
                    f"digest {got}, backup {want})"))  # fmt: skip
        for (src, name), _obj in sorted(restored.items()):
            if src:
                result.differences.append(Difference(kind, src, name, "unexpected",
                                                     f"{kind} {src}/{name} was restored but is not in the backup"))  # fmt: skip
    return result
