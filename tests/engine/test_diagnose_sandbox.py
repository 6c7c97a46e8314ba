"""`opsbook diagnose` on the session sandbox: prod's cluster (a NotReady node, a CrashLoopBackOff pod with
its events and logs) and account (an alarm in ALARM, my-database's status and CPU), with CloudTrail denied:
the denial is noted and everything else collected. One collection, read by every test of the module."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.engine.diagnose import DiagnoseScope, diagnose

CRASHING = "payments-5f7b9c8d4-c7xkq"
NOT_READY = "ip-10-0-2-21.ec2.internal"


@pytest.fixture(scope="module")
def bundle(sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.aws.seed import account as sandbox_account

    tmp = tmp_path_factory.mktemp("diagnose")
    cfg = Config.model_validate(sandbox.config(f"sqlite:///{tmp}/opsbook.db"))
    sandbox.data.deny(sandbox_account("prod").id, "cloudtrail:LookupEvents")
    said: list[str] = []
    try:
        summary = diagnose(cfg, DiagnoseScope(clusters=("my-cluster",), services=("app=myapp",)),
                           tmp / "bundle", since=timedelta(hours=4), progress=said.append)  # fmt: skip
    finally:
        sandbox.data.denied.clear()
    assert said  # progress while collecting
    return summary, tmp / "bundle"


def _read(out: Path, stem: str) -> Any:
    return json.loads((out / f"{stem}.json").read_text())


def test_headlines_name_the_seeded_problems(bundle: tuple[Any, Path]) -> None:
    summary, out = bundle
    assert summary.targets == ["k8s:my-cluster", "aws:prod/us-east-1"]  # the cluster's EKS account only
    problems = [h["problem"] for h in summary.headlines]
    assert f"node {NOT_READY} NotReady: Ready=Unknown (NodeStatusUnknown)" in problems
    assert any(p.startswith(f"pod production/{CRASHING} CrashLoopBackOff, 14 restarts") for p in problems)
    assert any(p.startswith("alarm my-database-cpu-high ALARM") for p in problems)
    assert any(
        p.startswith("RDS my-database CPU 9") and p.endswith("> 80%)") for p in problems
    )  # rds.cpu_high's
    changes = [c["change"] for c in summary.changes]  # my-app's rollout of 3 h ago is within --since 4h
    assert [c.split(" (")[0] for c in changes] == ["deployment production/my-app revision 3"]
    written = json.loads((out / "summary.json").read_text())
    assert written["headlines"] == summary.headlines
    assert f"pod production/{CRASHING} CrashLoopBackOff" in (out / "summary.md").read_text()


def test_a_denied_source_is_noted_and_the_rest_collected(bundle: tuple[Any, Path]) -> None:
    summary, out = bundle
    assert [(f["target"], f["source"]) for f in summary.failed] == [
        ("aws:prod/us-east-1", "cloudtrail:LookupEvents")
    ]
    assert "cloudtrail:LookupEvents" in summary.failed[0]["error"]
    assert not (out / "aws-prod-us-east-1.cloudtrail.json").exists()
    assert "cloudtrail:LookupEvents" in (out / "summary.md").read_text().split("## Not collected")[1]
    rds = _read(out, "aws-prod-us-east-1.rds")
    assert [(r["db"], r["status"]) for r in rds] == [("my-database", "available")]
    assert rds[0]["cpu_avg_1h"] > 80
    assert [a["alarm"] for a in _read(out, "aws-prod-us-east-1.alarms")] == ["my-database-cpu-high"]


def test_cluster_items_hold_nodes_pods_descriptions_events_and_logs(bundle: tuple[Any, Path]) -> None:
    _, out = bundle
    top = _read(out, "k8s-my-cluster.top-nodes")
    assert top[0]["node"] == "ip-10-0-2-24.ec2.internal" and {r["node"] for r in top} >= {
        NOT_READY
    }  # busiest first
    by_node = _read(out, "k8s-my-cluster.pods-by-node")
    assert [r["node"] or "" for r in by_node] == sorted(r["node"] or "" for r in by_node)
    pod = _read(out, f"k8s-my-cluster.describe-pod.production.{CRASHING}")
    assert [e["reason"] for e in pod["events"]] == ["BackOff"]
    envs = [c.get("env") for c in pod["object"]["spec"]["containers"]]
    assert all(all(set(e) == {"name"} for e in env or []) for env in envs)  # env names only
    text = (out / f"k8s-my-cluster.describe-pod.production.{CRASHING}.txt").read_text()
    assert "CrashLoopBackOff" in text and "Back-off restarting failed container" in text
    node = _read(out, f"k8s-my-cluster.describe-node.{NOT_READY}")
    assert [e["reason"] for e in node["events"]] == ["NodeNotReady"]
    logs = _read(out, f"k8s-my-cluster.logs.production.{CRASHING}")
    assert [(d["container"], d["previous"]) for d in logs] == [("app", False), ("app", True)]
    assert "ERROR shutting down: could not connect to database" in logs[0]["lines"]
    assert (
        out / "k8s-my-cluster.logs.production.myapp-6d4cf56db6-2xkqp.json"
    ).exists()  # --service app=myapp
    history = _read(out, "k8s-my-cluster.rollout-history")
    assert history["production/my-app"][0]["revision"] == "3"
    for path in out.iterdir():  # no Secret value anywhere (the seeded production/myapp-db)
        assert "c2FuZGJveC1ub3QtYS1zZWNyZXQ=" not in path.read_text()


def test_bad_scope_is_refused_before_anything_is_written(sandbox_config: Config, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--service 'a/b/c'"):
        diagnose(sandbox_config, DiagnoseScope(services=("a/b/c",)), tmp_path / "b", since=timedelta(hours=1))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(InputError, match="not an empty directory"):
        diagnose(sandbox_config, DiagnoseScope(), tmp_path / "full", since=timedelta(hours=1))
    assert not (tmp_path / "b").exists()
