"""Planner of `maintenance` (guide: Maintenance Windows / Execute Maintenance), read-only: one ordered plan
for a scheduled window (`opsbook maintenance schedule`):

  page on (server-side apply of `--page`'s objects) -> HPAs frozen (`--freeze-hpa`, min = max = running now)
  -> the work (`--work PLAN.json`: another saved plan's steps; `--work-stack STACK:COMPONENT`: the stack's
  configuration applied, as `reconcile --correct` plans it) -> smoke test (`--smoke-test CMD`, no shell) ->
  page off -> HPAs restored (from the annotation the freeze wrote) -> "done" notice (MAINTENANCE_DONE).

Refused at plan time: a window that is not scheduled/active or does not cover the cluster, a manifest object
of a kind the cluster does not serve, in a namespace it lacks, or that exists and is not opsbook's, an HPA
that is missing or frozen already, a work plan that was altered, expired, or is itself a maintenance plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.core.yamlfile import load_documents
from opsbook.engine.maintenance import covers
from opsbook.engine.targets import k8s_targets
from opsbook.engine.workload import DNS_LABEL, HPAS, cluster_api, one_cluster, split_name
from opsbook.procedures import load_builtin
from opsbook.procedures import plan as plans
from opsbook.procedures.hpa_freeze import frozen_from, running
from opsbook.procedures.k8s_hpa import PLAN_ANNOTATION, spec_of
from opsbook.procedures.kinds import KINDS
from opsbook.procedures.plan import Plan, PlanItem, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.smoke import parse_command, smoke_item
from opsbook.procedures.velero import get_or_none
from opsbook.store import maintenance as store_mw
from opsbook.store.db import open_store

load_builtin()  # the work may be any procedure's steps: the plan may hold every registered kind
GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")


class MaintenanceParams(ProcedureParams):
    window: int = Field(ge=1, description="The maintenance window (`opsbook maintenance list`).")
    page: str | None = Field(
        None, description="The maintenance page manifest (YAML), applied first, deleted last."
    )
    freeze_hpa: list[str] = Field(default_factory=list, description="An HPA to freeze, NAMESPACE/NAME.")
    work: str | None = Field(None, description="A saved plan (opsbook plan ... -o) whose steps are the work.")
    work_stack: str | None = Field(
        None, description="STACK:COMPONENT whose configuration to apply as the work."
    )
    smoke_test: str | None = Field(None, description="A command that must exit 0 after the work (no shell).")


def _window(cfg: Config, window_id: int) -> store_mw.Window:
    store = open_store(cfg.storage.url)
    try:
        window = store_mw.get_window(store, window_id=window_id)
    finally:
        store.close()
    if window.status not in ("scheduled", "active"):
        raise InputError(f"opsbook plan maintenance: window {window_id} is {window.status}")
    if window.ends_at <= datetime.now(UTC):  # its status moves with the next run or `maintenance list`
        raise InputError(
            f"opsbook plan maintenance: window {window_id} ended at {window.ends_at:%Y-%m-%d %H:%M} UTC"
        )
    return window


def _cluster(cfg: Config, request: PlanRequest, window: store_mw.Window) -> tuple[str, str]:
    if not request.clusters:
        named = [t.split("=", 1)[1] for t in window.targets if t.startswith("cluster=")]
        request = PlanRequest(clusters=tuple(named[:1]) if len(named) == 1 else ())
    cluster, account = one_cluster(cfg, request, "maintenance")
    if not covers(window, k8s_targets(cfg, [cluster])[0]):  # its findings would not be expected
        raise InputError(f"opsbook plan maintenance: --cluster {cluster} is not in maintenance window {window.id} "
                         f"({', '.join(window.targets)})")  # fmt: skip
    return cluster, account


def _object_path(read: Callable[[str], Any], doc: Any, where: str) -> str:
    """The URL of a manifest object, its kind found by discovery (InputError when the cluster serves none,
    or when its namespace is not a name or does not exist: the apply would fail)."""
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    if not isinstance(meta, dict) or not meta.get("name") or not doc.get("apiVersion") or not doc.get("kind"):
        raise InputError(f"{where}: a Kubernetes object needs apiVersion, kind and metadata.name")
    version = str(doc["apiVersion"])
    base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
    found = read(base) or {}
    rt = next(
        (r for r in found.get("resources") or [] if r.get("kind") == doc["kind"] and "/" not in r["name"]),
        None,
    )
    if rt is None:
        raise InputError(f"{where}: the cluster serves no {doc['kind']} in {version}")
    if not rt.get("namespaced"):
        return f"{base}/{rt['name']}/{meta['name']}"
    ns = str(meta.get("namespace") or "default")
    if not DNS_LABEL.fullmatch(ns) or read(f"/api/v1/namespaces/{ns}") is None:
        raise InputError(f"{where}: no namespace {ns!r} in the cluster")
    return f"{base}/namespaces/{ns}/{rt['name']}/{meta['name']}"


def page_objects(api: Any, path: Path) -> list[dict[str, Any]]:
    seen: dict[str, Any] = {}

    def read(url: str) -> Any:  # each discovery document and namespace read once for the whole manifest
        if url not in seen:
            seen[url] = get_or_none(api, url)
        return seen[url]

    objects = []
    for i, doc in enumerate(load_documents(path)):
        where = f"--page {path} (document {i + 1})"
        url = _object_path(read, doc, where)
        live = get_or_none(api, url)
        if live is not None and PLAN_ANNOTATION not in (
            (live.get("metadata") or {}).get("annotations") or {}
        ):
            raise InputError(f"{where}: {doc['kind']} {doc['metadata']['name']} exists and is not opsbook's: "
                             "the page would overwrite it")  # fmt: skip
        objects.append({"path": url, "body": doc})
    if not objects:
        raise InputError(f"--page {path}: no objects in the manifest")
    return objects


def hpa_params(api: Any, value: str) -> dict[str, Any]:
    ns, name = split_name("maintenance", "--freeze-hpa", value, "default")
    hpa = get_or_none(api, HPAS.format(ns=ns) + f"/{name}")
    if hpa is None:
        raise NotFound(f"--freeze-hpa {value}: no HPA {ns}/{name}")
    if frozen_from(hpa) is not None:
        raise InputError(
            f"--freeze-hpa {value}: already frozen (annotation opsbook.io/frozen-from); restore it first"
        )
    spec = spec_of(hpa)
    return {"namespace": ns, "name": name, "from": {"min": spec["min"], "max": spec["max"]},
            "replicas": running(hpa)}  # fmt: skip


def work_items(
    cfg: Config, params: MaintenanceParams, request: PlanRequest
) -> tuple[list[PlanItem], list[str]]:
    """The work's steps, ids prefixed `work:` (their order and `depends_on` kept), and its warnings."""
    if params.work and params.work_stack:
        raise InputError("opsbook plan maintenance: give --work or --work-stack, not both")
    if params.work:
        work, raw = plans.load(Path(params.work))
        plans.verify(work, raw)
        if work.procedure == "maintenance":
            raise InputError(f"--work {params.work}: a maintenance plan cannot be the work of another")
    elif params.work_stack:
        from opsbook.engine.reconcile import ReconcileParams, plan_reconcile

        stack, _, component = params.work_stack.partition(":")
        if not stack or not component:
            raise InputError(f"--work-stack {params.work_stack!r}: expected STACK:COMPONENT")
        work = plan_reconcile(cfg, ReconcileParams(stack=stack, component=component, correct=True), request)
    else:
        return [], []
    items = [i.model_copy(update={"id": f"work:{i.id}", "depends_on": [f"work:{d}" for d in i.depends_on]})
             for i in work.items]  # fmt: skip
    return items, [f"work ({work.procedure}): {w}" for w in work.warnings]


@procedure(
    "maintenance",
    title="Execute a maintenance window: page on, HPAs frozen, the work, smoke test, page off, HPAs "
    "restored, done notice",
    section="Maintenance Windows / Execute Maintenance",
    kinds=tuple(KINDS.keys()),
    params=MaintenanceParams,
    targets=("cluster",),
    examples=(
        "opsbook plan maintenance --window 3 --cluster my-cluster --page manifests/maintenance-page.yaml "
        "--freeze-hpa production/myapp --work upgrade.json --smoke-test ./scripts/smoke-test.sh -o maint.json",
    ),
)
def plan_maintenance(cfg: Config, params: MaintenanceParams, request: PlanRequest) -> Plan:
    window = _window(cfg, params.window)
    argv = parse_command(params.smoke_test) if params.smoke_test else None
    if not (params.page or params.freeze_hpa or params.work or params.work_stack or argv):
        raise InputError(
            "opsbook plan maintenance: nothing to do: give --page, --freeze-hpa, --work or --smoke-test"
        )
    work, warnings = work_items(cfg, params, request)
    pages: list[dict[str, Any]] = []
    hpas: list[dict[str, Any]] = []
    cluster, account = "", ""
    if params.page or params.freeze_hpa or not work:
        cluster, account = _cluster(cfg, request, window)
        with cluster_api(cfg, cluster, "get the page's kinds and horizontalpodautoscalers") as api:
            pages = page_objects(api, Path(params.page)) if params.page else []
            hpas = [hpa_params(api, v) for v in dict.fromkeys(params.freeze_hpa)]
    where: dict[str, Any] = {"cluster": cluster} if cluster else {
        k: getattr(work[0], k) for k in ("account", "account_id", "region", "cluster")}  # fmt: skip
    items: list[PlanItem] = []

    def add(item_id: str, kind: str, action: str, resource: Resource, reason: str, **fields: Any) -> None:
        items.append(PlanItem(id=item_id, kind=kind, action=action, resource=resource, reason=reason,
                              **({"cluster": cluster} if cluster else where), **fields))  # fmt: skip

    page = Resource(id=str(params.page), type="maintenance-page", name=", ".join(o["path"] for o in pages))
    if pages:
        add("page-on", "k8s-maintenance-page", "page-on", page, f"kubectl apply --server-side -f {params.page}",
            params={"state": "on", "objects": pages})  # fmt: skip
    for h in hpas:
        add(f"freeze:{h['namespace']}/{h['name']}", "k8s-hpa-freeze", "freeze-hpa", _hpa(h),
            f"pin min = max = {h['replicas']} replicas (now {h['from']['min']}-{h['from']['max']}); "
            "the originals go on the HPA (opsbook.io/frozen-from) and in the journal", params=h | {"mode": "freeze"})  # fmt: skip
    items += work
    if argv:
        smoke = smoke_item(argv, after=items[-1].id if items else "start", label="the maintenance", cwd=Path.cwd(),
                           **({"cluster": cluster} if cluster else where), gate=list(GATE) if cluster else [])  # fmt: skip
        items.append(smoke if len(items) else smoke.model_copy(update={"depends_on": []}))
    if pages:
        add("page-off", "k8s-maintenance-page", "page-off", page, f"kubectl delete -f {params.page}",
            params={"state": "off", "objects": pages})  # fmt: skip
    for h in reversed(hpas):
        add(f"restore:{h['namespace']}/{h['name']}", "k8s-hpa-freeze", "restore-hpa", _hpa(h),
            f"restore {h['from']['min']}-{h['from']['max']} replicas from the annotation the freeze wrote",
            params=h | {"mode": "restore"}, gate=list(GATE))  # fmt: skip
    add("done", "maintenance-done", "notify-done", Resource(id=f"maintenance:{window.id}", type="maintenance-window",
        name=window.title), f"send the done notice (MAINTENANCE_DONE) to {', '.join(window.channels) or 'the routed channels'}",
        params={"window": window.id})  # fmt: skip
    parameters = params.model_dump(mode="json") | {"cluster": cluster or None, "account": account or None}
    return new_plan("maintenance", items, ttl=request.ttl, ordered=True, parameters=parameters,
                    warnings=warnings)  # fmt: skip


def _hpa(h: dict[str, Any]) -> Resource:
    return Resource(id=f"{h['namespace']}/{h['name']}", type="HorizontalPodAutoscaler", name=h["name"])
