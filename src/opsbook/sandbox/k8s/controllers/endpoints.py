"""Endpoints controller: one Endpoints object per Service with a selector, listing the matching pods'
IPs (ready ones under `addresses`, others under `notReadyAddresses`) and the Service's ports."""

from __future__ import annotations

from opsbook.sandbox.k8s.controllers.common import Obj, meta, pod_ready
from opsbook.sandbox.k8s.selectors import label_selector, selector_string
from opsbook.sandbox.k8s.store import ClusterStore


def _address(pod: Obj) -> Obj:
    address: Obj = {"ip": pod["status"]["podIP"],
                    "targetRef": {"kind": "Pod", "name": meta(pod)["name"], "namespace": meta(pod)["namespace"],
                                  "uid": meta(pod)["uid"]}}  # fmt: skip
    if (pod.get("spec") or {}).get("nodeName"):
        address["nodeName"] = pod["spec"]["nodeName"]
    return address


def desired_subsets(service: Obj, pods: list[Obj]) -> list[Obj]:
    selector = (service.get("spec") or {}).get("selector") or {}
    matches = label_selector(selector_string(selector))
    chosen = [p for p in pods if matches(p) and (p.get("status") or {}).get("podIP")]
    ports = [{k: v for k, v in {"name": p.get("name"), "port": p.get("targetPort", p.get("port")),
              "protocol": p.get("protocol", "TCP")}.items() if v is not None}
             for p in (service.get("spec") or {}).get("ports") or []]  # fmt: skip
    if not chosen:
        return []
    subset: Obj = {"ports": ports}
    ready = sorted((_address(p) for p in chosen if pod_ready(p)), key=lambda a: a["ip"])
    waiting = sorted((_address(p) for p in chosen if not pod_ready(p)), key=lambda a: a["ip"])
    if ready:
        subset["addresses"] = ready
    if waiting:
        subset["notReadyAddresses"] = waiting
    return [subset]


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for service in store.list("services"):
        if not (service.get("spec") or {}).get("selector"):
            continue
        ns, name = meta(service)["namespace"], meta(service)["name"]
        subsets = desired_subsets(service, store.list("pods", ns))
        existing = store.list("endpoints", ns, field_selector_text=f"metadata.name={name}")
        if not existing:
            store.create({"apiVersion": "v1", "kind": "Endpoints", "subsets": subsets,
                          "metadata": {"name": name, "namespace": ns, "labels": meta(service).get("labels") or {}}})  # fmt: skip
            changed = True
        elif (existing[0].get("subsets") or []) != subsets:
            store.replace("endpoints", name, {**existing[0], "subsets": subsets}, ns)
            changed = True
    return changed
