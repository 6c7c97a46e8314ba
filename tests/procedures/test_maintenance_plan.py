"""`opsbook plan maintenance` on a fake Kubernetes API of the test's own: page on (server-side apply), HPAs
pinned at their running replicas with the originals on the HPA, the smoke test, page off, HPAs restored
from the annotation, the done notice once. A failed smoke test stops the plan and `--rollback` returns to
the start. Everything is read back from the API."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook import notify
from opsbook.core.errors import OpsbookError
from opsbook.core.events import EventKind
from opsbook.engine import maintenance
from opsbook.engine.procedures import make_plan
from opsbook.procedures import plan as plans
from opsbook.procedures.apply import ApplyOptions, TargetClients, apply_plan
from opsbook.procedures.hpa_freeze import FROZEN
from opsbook.procedures.registry import PlanRequest
from opsbook.store import maintenance as store_mw
from opsbook.store.db import open_store
from tests.procedures.fakes import roundtrip

HPA = "/apis/autoscaling/v2/namespaces/production/horizontalpodautoscalers/{}"
PAGE_OBJECTS = ("/api/v1/namespaces/production/configmaps/maintenance-page",
                "/api/v1/namespaces/production/services/maintenance-page")  # fmt: skip
PAGE = """apiVersion: v1
kind: ConfigMap
metadata: {name: maintenance-page, namespace: production}
data: {index.html: "<h1>Down for maintenance</h1>"}
---
apiVersion: v1
kind: Service
metadata: {name: maintenance-page, namespace: production}
spec:
  selector: {app: maintenance-page}
  ports: [{port: 80, targetPort: 8080}]
"""


def bounds(server: Any, name: str) -> tuple[int, int, str | None]:
    hpa = server.store.get("horizontalpodautoscalers.autoscaling", name, "production")
    return (
        hpa["spec"]["minReplicas"],
        hpa["spec"]["maxReplicas"],
        hpa["metadata"].get("annotations", {}).get(FROZEN),
    )


def present(server: Any) -> list[bool]:
    kinds = {"configmaps": "configmaps", "services": "services"}
    return [any(o["metadata"]["name"] == "maintenance-page"
                for o in server.store.list(kinds[p.split("/")[-2]], "production")) for p in PAGE_OBJECTS]  # fmt: skip


@pytest.fixture()
def setup(kube_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    sent: list[Any] = []
    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: sent.append(event) or [])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "page.yaml").write_text(PAGE, encoding="utf-8")
    store = open_store(cfg.storage.url)
    try:
        start = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        window = maintenance.schedule(cfg, store, maintenance.ScheduleRequest(
            at=start, duration="1h", targets=("cluster=my-cluster",)), created_by="t")  # fmt: skip
    finally:
        store.close()
    return server, cfg, window, sent


def plan_for(cfg: Any, window: Any, tmp_path: Path, smoke: str, **more: Any) -> Any:
    raw = {"window": window.id, "page": "page.yaml", "freeze_hpa": ["production/myapp", "production/my-app"],
           "smoke_test": smoke, **more}  # fmt: skip
    return roundtrip(make_plan(cfg, "maintenance", raw, PlanRequest()), tmp_path)


def apply(cfg: Any, plan: Any, raw: Any, on_outcome: Any = None, **opts: Any) -> Any:
    clients = TargetClients(cfg)
    store = open_store(cfg.storage.url)
    try:
        return apply_plan(plan, raw, cfg=cfg, store=store, clients_for=clients, options=ApplyOptions(**opts),
                          approve=lambda todo: None, on_outcome=on_outcome)  # fmt: skip
    finally:
        clients.close()
        store.close()


def test_the_plan_freezes_and_restores_hpas_and_puts_the_page_up_then_down(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, cfg, window, sent = setup
    replicas = server.store.get("deployments.apps", "legacy-app", "default")["spec"]["replicas"]
    work = make_plan(cfg, "scale-deployment", {"deployment": "default/legacy-app", "replicas": replicas - 1},
                     PlanRequest(clusters=("my-cluster",)))  # fmt: skip
    (tmp_path / "work.json").write_text(plans.dumps(work), encoding="utf-8")
    smoke = f"{sys.executable} -c \"open('smoke-ran', 'w').write('ok')\""
    plan, raw = plan_for(cfg, window, tmp_path, smoke, work="work.json")
    assert server.requests.count("GET", "/api/v1") == 1  # discovery read once for the page's two v1 objects
    assert [i.id for i in plan.items] == [
        "page-on", "freeze:production/myapp", "freeze:production/my-app", "work:001", "smoke-test:work:001",
        "page-off", "restore:production/my-app", "restore:production/myapp", "done"]  # fmt: skip
    seen: dict[str, Any] = {}

    def look(outcome: Any) -> None:  # the live state right after each step
        seen[outcome.item_id] = (present(server), bounds(server, "myapp"), bounds(server, "my-app"))

    result = apply(cfg, plan, raw, look)
    assert [o.result for o in result.outcomes] == ["done"] * 9, result.outcomes
    assert server.store.get("deployments.apps", "legacy-app", "default")["spec"]["replicas"] == replicas - 1
    assert seen["page-on"][0] == [True, True]
    low, high, note = seen["freeze:production/myapp"][1]
    assert (low, high) == (3, 3) and json.loads(note or "{}") == {"min": 3, "max": 20, "plan": plan.plan_hash}
    assert seen["freeze:production/my-app"][2][:2] == (4, 4)  # pinned at the 4 it runs, not 0
    assert (tmp_path / "smoke-ran").read_text() == "ok" and seen["smoke-test:work:001"][0] == [True, True]
    assert seen["page-off"][0] == [False, False] and seen["page-off"][1][:2] == (3, 3)  # still frozen
    assert bounds(server, "myapp") == (3, 20, None) and bounds(server, "my-app") == (2, 4, None)
    assert [e.kind for e in sent] == [EventKind.MAINTENANCE_NOTICE, EventKind.MAINTENANCE_DONE]
    store = open_store(cfg.storage.url)
    try:
        assert store_mw.get_window(store, window_id=window.id).status == "done"
    finally:
        store.close()
    patches = server.requests.count("PATCH", HPA.format("myapp"))
    again = apply(cfg, plan, raw)
    assert {o.result for o in again.outcomes} == {"already-done"}
    assert server.requests.count("PATCH", HPA.format("myapp")) == patches == 2 and len(sent) == 2
    back = apply(cfg, plan, raw, rollback=True)  # after a complete maintenance: back to the start, exit 0
    assert [o.result for o in back.outcomes] == ["undone"] * 9, back.outcomes
    assert present(server) == [False, False] and server.store.get("deployments.apps", "legacy-app", "default")[
        "spec"]["replicas"] == replicas  # fmt: skip
    assert bounds(server, "myapp") == (3, 20, None) and bounds(server, "my-app") == (2, 4, None)
    store = open_store(cfg.storage.url)
    try:  # the window is open again: its findings are expected, a new apply would say done again
        reopened = store_mw.get_window(store, window_id=window.id)
        assert reopened.status == "active" and reopened.done_sent_at is None
    finally:
        store.close()
    assert len(sent) == 2


def test_a_failed_smoke_test_stops_the_plan_and_rollback_returns_to_the_start(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, cfg, window, sent = setup
    plan, raw = plan_for(cfg, window, tmp_path, f'{sys.executable} -c "raise SystemExit(3)"')
    result = apply(cfg, plan, raw)
    assert result.stopped_at == "smoke-test:freeze:production/my-app"
    assert present(server) == [True, True] and bounds(server, "myapp")[:2] == (3, 3)
    back = apply(cfg, plan, raw, rollback=True)
    assert {o.result for o in back.outcomes} >= {"undone"}
    assert present(server) == [False, False]
    assert bounds(server, "myapp") == (3, 20, None) and bounds(server, "my-app") == (2, 4, None)
    assert [e.kind for e in sent] == [EventKind.MAINTENANCE_NOTICE]  # no done notice for a failed maintenance


def test_the_guides_freeze_is_refused_by_the_api_and_bad_input_at_plan_time(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    server, cfg, window, _ = setup
    clients = TargetClients(cfg)
    try:
        api = k8s.AutoscalingV2Api(clients(plan_for(cfg, window, tmp_path, "true")[0].items[0])("k8s"))
        with pytest.raises(
            ApiException
        ) as exc:  # kubectl patch hpa myapp -p '{"spec":{"minReplicas":0,"maxReplicas":0}}'
            api.patch_namespaced_horizontal_pod_autoscaler(
                "myapp", "production", {"spec": {"minReplicas": 0, "maxReplicas": 0}}
            )
        assert exc.value.status == 422
    finally:
        clients.close()
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: v1\nkind: Gadget\nmetadata: {name: x}\n", encoding="utf-8"
    )
    (tmp_path / "elsewhere.yaml").write_text(PAGE.replace("production", "nope"), encoding="utf-8")
    (tmp_path / "odd.yaml").write_text(PAGE.replace("production", "../x"), encoding="utf-8")
    store = open_store(cfg.storage.url)
    try:
        other = maintenance.schedule(cfg, store, maintenance.ScheduleRequest(
            at=window.starts_at.isoformat(), duration="1h", targets=("region=eu-west-1",)), created_by="t")  # fmt: skip
        ended = store_mw.create_window(store, title="t", starts_at=window.starts_at - timedelta(hours=2),
                                       ends_at=window.starts_at - timedelta(hours=1), targets=["cluster=my-cluster"],
                                       channels=[], remind_before_s=0, created_by="t", created_at=window.created_at)  # fmt: skip
    finally:
        store.close()
    with pytest.raises(OpsbookError, match=f"window {ended.id} ended at"):  # no run has marked it done yet
        make_plan(cfg, "maintenance", {"window": ended.id, "smoke_test": "true"}, PlanRequest())
    with pytest.raises(OpsbookError, match=f"--cluster my-cluster is not in maintenance window {other.id}"):
        make_plan(
            cfg,
            "maintenance",
            {"window": other.id, "smoke_test": "true"},
            PlanRequest(clusters=("my-cluster",)),
        )
    for raw, message in [({"page": "elsewhere.yaml"}, "no namespace 'nope' in the cluster"),  # the apply would 404
                         ({"page": "odd.yaml"}, "no namespace '../x'"), ({}, "nothing to do"),
                         ({"page": "bad.yaml"}, "serves no Gadget"), ({"freeze_hpa": ["production/nope"]}, "no HPA"),
                         ({"smoke_test": "no-such-program"}, "not on PATH"), ({"window": 999}, "no maintenance window")]:  # fmt: skip
        with pytest.raises(OpsbookError, match=message):
            make_plan(cfg, "maintenance", {"window": window.id} | raw, PlanRequest())


def test_an_object_of_the_pages_name_made_by_someone_else_after_the_plan_is_left_alone(
    setup, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import client as k8s

    server, cfg, window, sent = setup
    plan, raw = plan_for(cfg, window, tmp_path, "true")
    clients = TargetClients(cfg)
    try:
        k8s.CoreV1Api(clients(plan.items[0])("k8s")).create_namespaced_config_map("production", {
            "metadata": {"name": "maintenance-page"}, "data": {"owner": "someone else"}})  # fmt: skip
    finally:
        clients.close()
    result = apply(cfg, plan, raw)
    page_on = next(o for o in result.outcomes if o.item_id == "page-on")
    assert (
        page_on.result == "skipped"
        and "not this plan's, left alone: ConfigMap maintenance-page" in page_on.reason
    )
    theirs = server.store.get("configmaps", "maintenance-page", "production")
    assert theirs["data"] == {"owner": "someone else"} and not theirs["metadata"].get("annotations")
    assert present(server) == [True, False] and bounds(server, "myapp") == (3, 20, None)
