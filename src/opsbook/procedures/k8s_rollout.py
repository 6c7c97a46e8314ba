"""The guide's rolling update (Upgrade Procedures / Upgrade Application Workloads) as one item kind:

- `k8s-set-image`: `kubectl set image deployment/NAME CONTAINER=IMAGE ...`, a strategic merge patch of the
  named containers' images. The step waits for `deployment-rolled-out` with those images (k8s_scale.py:
  `kubectl rollout status`'s rules, ProgressDeadlineExceeded fails it at once).
- undo: `kubectl rollout undo`: the pod template of the ReplicaSet the deployment ran when the plan was
  made (`from_replicaset`, revision `from_revision`) goes back on the deployment, and the controller
  revives that ReplicaSet at a new revision. It waits for the rollout back to those images and reports
  both revisions with their images. Sent once: an undo that finds that template in place sends nothing.

Item params: `namespace`, `name`, `images` (container -> image), `from_images`, `from_revision`,
`from_replicaset`, `from_available` (the available replicas the plan saw: what the way back waits for).
"""

from __future__ import annotations

import copy
from typing import Any

from opsbook.procedures.k8s_scale import REVISION, deployment_doc, gone, images_of, labels_of, live_deployment
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem

HASH_LABEL = "pod-template-hash"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def describe(images: dict[str, str]) -> str:
    return ", ".join(f"{c}={i}" for c, i in sorted(images.items()))


def revision_of(obj: dict[str, Any]) -> str:
    return str(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "?"))


def template_of(obj: dict[str, Any]) -> dict[str, Any]:
    """A Deployment's or ReplicaSet's pod template without the pod-template-hash label and null values."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    template = clean(copy.deepcopy((obj.get("spec") or {}).get("template") or {}))
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return dict(template)


def recheck_image(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = live_deployment(clients, p["namespace"], p["name"])
    if dep is None:
        return gone(p["namespace"], p["name"])
    live = images_of((dep.get("spec") or {}).get("template") or {})
    want, was = dict(p["images"]), dict(p["from_images"])
    if all(live.get(c) == image for c, image in want.items()):
        return Live("done", f"{p['name']} already runs {describe(want)}", labels_of(dep))
    moved = {c: live.get(c) or "(no such container)" for c in want if live.get(c) != was[c]}
    if moved:
        return Live(
            "changed", f"{p['name']} runs {describe(moved)} now, the plan saw {describe(was)}", labels_of(dep)
        )
    if revision_of(dep) != str(p["from_revision"]):
        return Live(
            "changed",
            f"{p['name']} was rolled out again since the plan (revision {revision_of(dep)}, "
            f"the plan saw {p['from_revision']})",
            labels_of(dep),
        )
    return Live(
        "eligible",
        f"{p['name']} revision {p['from_revision']}: {describe(was)} -> {describe(want)}",
        labels_of(dep),
    )


def set_image(item: PlanItem, clients: Clients) -> dict[str, Any]:
    from kubernetes import client as k8s

    p = item.params
    containers = [{"name": c, "image": image} for c, image in sorted(p["images"].items())]
    body = {"spec": {"template": {"spec": {"containers": containers}}}}
    k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment(
        p["name"], p["namespace"], body, _content_type=STRATEGIC
    )
    return {"from_revision": p["from_revision"], "from_images": p["from_images"], "images": p["images"]}


def _replicaset(api: Any, ns: str, name: str) -> dict[str, Any]:
    from kubernetes.client.exceptions import ApiException

    try:
        doc: dict[str, Any] = api.get_json(f"/apis/apps/v1/namespaces/{ns}/replicasets/{name}")
    except ApiException as exc:
        if exc.status == 404:
            raise RuntimeError(
                f"ReplicaSet {ns}/{name} is gone: there is no template to roll back to"
            ) from None
        raise
    return doc


def _rolled_out_revision(api: Any, dep: dict[str, Any], images: dict[str, str]) -> str:
    """The revision of the deployment's ReplicaSet that runs `images` (the rollout being undone)."""
    ns, uid = dep["metadata"]["namespace"], dep["metadata"].get("uid")
    found = [
        rs
        for rs in api.list_items(f"/apis/apps/v1/namespaces/{ns}/replicasets")
        if any(ref.get("uid") == uid for ref in (rs.get("metadata") or {}).get("ownerReferences") or [])
        and all(images_of(template_of(rs)).get(c) == image for c, image in images.items())
    ]
    revisions = [revision_of(rs) for rs in found if revision_of(rs).isdigit()]
    return max(revisions, key=int) if revisions else revision_of(dep)


def undo_image(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """`kubectl rollout undo` to the plan's starting revision: its ReplicaSet's template back on the
    deployment (a JSON patch replacing spec.template, as kubectl sends)."""
    from kubernetes import client as k8s

    p = item.params
    api = clients("k8s")
    ns, name = p["namespace"], p["name"]
    back = template_of(_replicaset(api, ns, p["from_replicaset"]))
    dep = deployment_doc(api, ns, name)
    failed = _rolled_out_revision(api, dep, dict(p["images"]))
    if template_of(dep) != back:
        patch = [{"op": "replace", "path": "/spec/template", "value": back}]
        k8s.AppsV1Api(api).patch_namespaced_deployment(name, ns, patch, _content_type=JSON_PATCH)
    to_images = images_of(back)
    note = (
        f"{name} from revision {failed} ({describe(dict(p['images']))}) back to revision "
        f"{p['from_revision']}'s template ({describe(to_images)}), as `kubectl rollout undo`"
    )
    return {
        "from_revision": failed,
        "from_images": dict(p["images"]),
        "to_revision": str(p["from_revision"]),
        "to_images": to_images,
        "note": note,
        "wait": {"images": to_images, "available": int(p.get("from_available", 0))},
    }


item_kind(
    "k8s-set-image",
    action="set-image",
    permissions=(
        "get deployments.apps",
        "patch deployments.apps",
        "get replicasets.apps",
        "list replicasets.apps",
    ),
    recheck=recheck_image,
    act=set_image,
    undo=undo_image,
)
