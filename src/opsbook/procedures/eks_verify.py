"""The last step of `eks-upgrade` (the guide's "Verify upgrade": `kubectl version`, `kubectl get nodes`): the
versions of the control plane, each node group, the kubelets of each group and each add-on, in one table,
read from EKS and the cluster's API. `version_rows` also shows the plan's starting point.

- `eks-upgrade-verify`: acts by reading only. Done when everything is at the target: the control plane and
  node groups at its minor, every kubelet too, every add-on the plan updated at its new version (others as
  they were); its outcome carries the table (`display`, and `versions` for `--format json`). Anything else
  fails the step, naming what is behind. Undo: nothing to put back (it changed nothing).

Item params: `cluster` (EKS name), `to` (minor), `addons` (add-on -> the version it must be at).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from opsbook.collect.k8s.convert import node as node_model
from opsbook.procedures.eks_updates import minor
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem

COLUMNS = ("what", "name", "version", "status")


def version_rows(eks: Any, api: Any | None, cluster: str) -> list[dict[str, str]]:
    """One row per control plane, node group, node group's kubelets (when the cluster's API is given) and
    add-on: {"what", "name", "version", "status"}."""
    c = eks.describe_cluster(name=cluster)["cluster"]
    rows = [
        {
            "what": "control plane",
            "name": cluster,
            "version": str(c.get("version", "")),
            "status": c.get("status", ""),
        }
    ]
    groups = sorted(n for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster)
                    for n in page.get("nodegroups", []))  # fmt: skip
    for name in groups:
        ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        release = f" ({ng['releaseVersion']})" if ng.get("releaseVersion") else ""
        rows.append({"what": "node group", "name": name, "version": f"{ng.get('version', '')}{release}",
                     "status": ng.get("status", "")})  # fmt: skip
    if api is not None:
        rows += kubelet_rows([node_model(n) for n in api.list_items("/api/v1/nodes")])
    addons = sorted(n for page in eks.get_paginator("list_addons").paginate(clusterName=cluster)
                    for n in page.get("addons", []))  # fmt: skip
    for name in addons:
        a = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        rows.append(
            {
                "what": "add-on",
                "name": name,
                "version": a.get("addonVersion", ""),
                "status": a.get("status", ""),
            }
        )
    return rows


def kubelet_rows(nodes: list[Any]) -> list[dict[str, str]]:
    """Per node group: its kubelet versions with counts, and how many nodes are Ready."""
    by_group: dict[str, list[Any]] = {}
    for n in nodes:
        by_group.setdefault(n.nodegroup or "(no node group)", []).append(n)
    rows = []
    for group, members in sorted(by_group.items()):
        counts = Counter(n.kubelet_version or "?" for n in members)
        versions = ", ".join(f"{v} x{k}" for v, k in sorted(counts.items()))
        ready = sum(1 for n in members if n.ready == "True")
        rows.append(
            {
                "what": "kubelets",
                "name": group,
                "version": versions,
                "status": f"{ready}/{len(members)} Ready",
            }
        )
    return rows


def table(rows: list[dict[str, str]]) -> list[str]:
    """Plain aligned lines (they go to a terminal, a log and a plan file alike)."""
    widths = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in COLUMNS}
    line = "  ".join(f"{{{c}:<{widths[c]}}}" for c in COLUMNS)
    return [line.format(**{c: c for c in COLUMNS}).rstrip()] + [line.format(**r).rstrip() for r in rows]


def behind(rows: list[dict[str, str]], to: str, addons: dict[str, str]) -> list[str]:
    """What is not where the upgrade should have left it."""
    out = []
    for r in rows:
        what, name, version = r["what"], r["name"], r["version"]
        if what in ("control plane", "node group") and minor(version) != to:
            out.append(f"{what} {name} at {version}")
        elif what == "kubelets" and any(minor(v.split(" x")[0]) != to for v in version.split(", ")):
            out.append(f"kubelets of {name}: {version}")
        elif what == "add-on" and name in addons and version != addons[name]:
            out.append(f"add-on {name} at {version}, not {addons[name]}")
    return out


def recheck_verify(item: PlanItem, clients: Clients) -> Live:
    return Live("eligible", f"read the versions of {item.params['cluster']}")


def verify(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    rows = version_rows(clients("eks"), clients("k8s") if item.cluster else None, p["cluster"])
    off = behind(rows, p["to"], p.get("addons") or {})
    if off:
        raise RuntimeError(f"not everything is at {p['to']}: " + "; ".join(off))
    return {"versions": rows, "display": [f"versions of {p['cluster']} after the upgrade to {p['to']}:",
                                          *(f"  {line}" for line in table(rows))]}  # fmt: skip


item_kind(
    "eks-upgrade-verify",
    action="verify-versions",
    permissions=(
        "eks:DescribeCluster",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
        "eks:ListAddons",
        "eks:DescribeAddon",
        "list nodes",
    ),  # fmt: skip
    recheck=recheck_verify,
    act=verify,
    changes_nothing=True,
)
