"""An `opsbook apply` of a maintenance plan killed right after it froze an HPA (before the journal recorded
it): the next apply resumes without freezing again (which would record the pinned bounds as the
originals), restores the HPA from its annotation exactly once, and a further apply sends nothing. The plan
is made with `opsbook plan maintenance` in this process; only the killed apply runs in a subprocess."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from opsbook import notify
from opsbook.engine import maintenance
from opsbook.store.db import open_store
from tests.cli.helpers import apply_json, opsbook

HPA = "/apis/autoscaling/v2/namespaces/production/horizontalpodautoscalers/myapp"


def bounds(server: Any) -> tuple[int, int, str | None]:
    hpa = server.store.get("horizontalpodautoscalers.autoscaling", "myapp", "production")
    return (
        hpa["spec"]["minReplicas"],
        hpa["spec"]["maxReplicas"],
        hpa["metadata"].get("annotations", {}).get("opsbook.io/frozen-from"),
    )


def test_killed_after_the_freeze_the_next_apply_restores_once(
    kube_cluster, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from opsbook.cli.main import main

    server, cfg = kube_cluster
    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: [])
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump({"storage": {"url": cfg.storage.url},
                                      "clusters": [c.model_dump(mode="json", exclude_none=True) for c in cfg.clusters]}))  # fmt: skip
    store = open_store(cfg.storage.url)
    try:
        window = maintenance.schedule(cfg, store, maintenance.ScheduleRequest(
            at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat(), duration="1h",
            targets=("cluster=my-cluster",)), created_by="t")  # fmt: skip
    finally:
        store.close()
    plan_file = tmp_path / "maint.json"
    rc = main(["--config", str(config), "plan", "maintenance", "--window", str(window.id),
               "--freeze-hpa", "production/myapp", "--smoke-test", "true", "-o", str(plan_file), "-f", "json"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    assert [i["id"] for i in plan["items"]] == ["freeze:production/myapp", "smoke-test:freeze:production/myapp",
                                                "restore:production/myapp", "done"]  # fmt: skip

    killed = opsbook("--config", str(config), "apply", str(plan_file), "--yes", cwd=tmp_path, timeout=60,
                     env={"OPSBOOK_TEST_CRASH_AFTER_ACTIONS": "1"})  # fmt: skip
    assert killed.returncode == 137, killed.stdout + killed.stderr
    assert bounds(server)[:2] == (3, 3) and server.requests.count("PATCH", HPA) == 1

    rc, summary = apply_json(config, plan_file, capsys)
    assert rc == 0, summary
    assert [(o["item_id"], o["result"]) for o in summary["outcomes"]] == [
        ("freeze:production/myapp", "resumed"), ("smoke-test:freeze:production/myapp", "done"),
        ("restore:production/myapp", "done"), ("done", "done")]  # fmt: skip
    assert bounds(server) == (3, 20, None)  # the originals, from the annotation
    assert server.requests.count("PATCH", HPA) == 2  # frozen once, restored once

    rc, summary = apply_json(config, plan_file, capsys)
    assert rc == 0 and {o["result"] for o in summary["outcomes"]} == {"already-done"}
    assert server.requests.count("PATCH", HPA) == 2
