"""The last step of `eks-upgrade` (the guide's "Verify upgrade": `kubectl version`, `kubectl get nodes`): the
versions of the control plane, each node group, the kubelets of each group and each add-on, in one table,
read from EKS and the cluster's API. `rows_of` also shows the plan's starting point, from what the planner read.

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
from opsbook.procedures.eks_updates import minor, names
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem

COLUMNS = ("what", "name", "version", "status")


def version_rows(eks: Any, api: Any | None, cluster: str) -> list[dict[str, str]]:
    """`rows_of` the cluster as EKS (and its API, when given) shows it now."""
    c = eks.describe_cluster(name=cluster)["cluster"]
    groups = [eks.describe_nodegroup(clusterName=cluster, nodegroupName=n)["nodegroup"]
              for n in names(eks, "list_nodegroups", "nodegroups", cluster)]  # fmt: skip
    nodes = None if api is None else nodes_now(api)
    addons = []
    for name in names(eks, "list_addons", "addons", cluster):
        a = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        addons.append((name, a.get("addonVersion", ""), a.get("status", "")))
    return rows_of(cluster, c, groups, nodes, addons)


def nodes_now(api: Any) -> list[Any]:
    return [node_model(n) for n in api.list_items("/api/v1/nodes")]


def rows_of(
    cluster: str,
    described: dict[str, Any],
    groups: list[dict[str, Any]],
    nodes: list[Any] | None,
    addons: list[tuple[str, str, str]],
) -> list[dict[str, str]]:
    """One row per control plane (DescribeCluster's), node group (DescribeNodegroup's, by name), node group's
    kubelets (when the nodes are given) and add-on ((name, version, status), by name): {"what", "name",
    "version", "status"}."""
    out = [{"what": "control plane", "name": cluster, "version": str(described.get("version", "")),
            "status": described.get("status", "")}]  # fmt: skip
    for ng in sorted(groups, key=lambda g: str(g.get("nodegroupName", ""))):
        release = f" ({ng['releaseVersion']})" if ng.get("releaseVersion") else ""
        out.append({"what": "node group", "name": ng.get("nodegroupName", ""),
                    "version": f"{ng.get('version', '')}{release}", "status": ng.get("status", "")})  # fmt: skip
    if nodes is not None:
        out += kubelet_rows(nodes)
    out += [{"what": "add-on", "name": n, "version": v, "status": st} for n, v, st in sorted(addons)]
    return out


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
