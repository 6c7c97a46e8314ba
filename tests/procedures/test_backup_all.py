"""`backup-all` on the session sandbox through the plan engine: one unordered plan with a snapshot of every
available RDS instance (dev, staging, prod `my-database`; staging's stopped `my-database-reporting` is a
warning), one Velero Backup of my-cluster's own namespaces, each account's backup bucket and state copy.
Apply's effects read back (snapshots available and tagged with the plan, the Backup Completed, every state
object copied with a manifest of its SHA-256), a re-run changes nothing, `--rollback` removes all of it. An
unreachable cluster is a warning and the rest is planned; --skip leaves parts out."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetUnavailable
from opsbook.engine.procedures import make_plan
from opsbook.procedures.plan import Plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.estate import CLUSTER, DATABASE, account
from tests.procedures.backup_all_helpers import BACKUPS, quick_and_clean, snapshots
from tests.procedures.rds_helpers import apply, results

FAST = {"poll_interval": 0.1, "wait_timeout": 60}


@pytest.fixture()
def estate(sandbox: Any) -> Iterator[dict[str, Any]]:
    yield from quick_and_clean(sandbox)


def plan(cfg: Config, request: PlanRequest | None = None, **raw: Any) -> Plan:
    return make_plan(cfg, "backup-all", {**FAST, **raw}, request or PlanRequest())


def by_kind(p: Plan) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in p.items:
        out.setdefault(item.kind, []).append(item)
    return out


def test_plans_and_backs_up_every_account_and_cluster_then_rolls_back(
    sandbox: Any, sandbox_config: Config, estate: dict[str, Any], tmp_path: Path
) -> None:
    p = plan(sandbox_config)
    kinds = by_kind(p)
    assert not p.ordered and p.accounts == ["dev", "prod", "staging"]
    assert sorted((i.account, i.params["db"]) for i in kinds["rds-snapshot"]) == [
        ("dev", DATABASE), ("prod", DATABASE), ("staging", DATABASE)]  # fmt: skip
    assert any("my-database-reporting is stopped" in w for w in p.warnings), p.warnings
    (velero,) = kinds["velero-backup"]
    assert velero.cluster == CLUSTER and velero.account == "prod"
    assert velero.params["spec"]["includedNamespaces"] == ["default", "production"]  # not kube-system, velero
    copies = kinds["tfstate-backup"]
    assert sorted(i.account for i in copies) == ["dev", "prod", "staging"]
    ids = {i.id: i for i in p.items}
    for copy in copies:  # each copy waits for its own account's bucket step
        (bucket,) = copy.depends_on
        assert ids[bucket].kind == "s3-backup-bucket" and ids[bucket].account == copy.account
    assert all(snapshots(c("rds")).get(i.params["snapshot"]) is None
               for i in kinds["rds-snapshot"] for c in [estate[i.account]])  # fmt: skip

    assert set(results(apply(sandbox_config, p, tmp_path))) == {"done"}
    for item in kinds["rds-snapshot"]:
        snap = snapshots(estate[item.account]("rds"))[item.params["snapshot"]]
        tags = {t["Key"]: t["Value"] for t in snap["TagList"]}
        assert snap["Status"] == "available" and tags["opsbook:plan"] == p.plan_hash
    backup = sandbox.kube.store.get(BACKUPS, velero.params["name"], "velero")
    assert backup["status"]["phase"] == "Completed" and backup["spec"]["includedNamespaces"] == [
        "default", "production"]  # fmt: skip
    for copy in copies:
        s3, params = estate[copy.account]("s3"), copy.params
        manifest = json.loads(
            s3.get_object(Bucket=params["bucket"], Key=params["prefix"] + "manifest.json")["Body"].read()
        )
        current = s3.list_objects_v2(Bucket=params["source"])["Contents"]
        assert {e["key"] for e in manifest["objects"]} == {o["Key"] for o in current}
        for entry in manifest["objects"]:
            data = s3.get_object(Bucket=params["bucket"], Key=params["prefix"] + entry["key"])["Body"].read()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]

    assert set(results(apply(sandbox_config, p, tmp_path))) == {"already-done"}
    assert set(results(apply(sandbox_config, p, tmp_path, rollback=True))) == {"undone"}
    for item in kinds["rds-snapshot"]:
        assert item.params["snapshot"] not in snapshots(estate[item.account]("rds"))
    assert velero.params["name"] not in {
        b["metadata"]["name"] for b in sandbox.kube.store.list(BACKUPS, "velero")
    }
    for copy in copies:
        names = {b["Name"] for b in estate[copy.account]("s3").list_buckets()["Buckets"]}
        assert copy.params["bucket"] not in names


@pytest.fixture()
def lost_cluster(sandbox_config: Config, tmp_path: Path) -> Config:
    """The sandbox's config plus a cluster `lost` whose API address answers nothing (a closed port on
    127.0.0.1)."""
    from opsbook.sandbox.k8s import write_kubeconfig

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_kubeconfig(tmp_path / "lost.kubeconfig", f"https://127.0.0.1:{port}", "t", "lost")
    lost = {"name": "lost", "kubeconfig": str(path), "context": "lost"}
    doc = sandbox_config.model_dump(mode="json", exclude_none=True)
    doc["clusters"] = [*doc["clusters"], lost]
    return Config.model_validate(doc).model_copy(update={"source": "(test)"})


def test_an_unreachable_cluster_is_a_warning_and_the_rest_is_planned(lost_cluster: Config) -> None:
    p = plan(lost_cluster, skip=["rds"])
    assert {i.cluster for i in p.items if i.kind == "velero-backup"} == {CLUSTER}
    assert len(by_kind(p)["tfstate-backup"]) == 3
    (warning,) = [w for w in p.warnings if w.startswith("velero lost")]
    assert "not planned: cluster lost: endpoint unreachable" in warning, warning
    with pytest.raises(TargetUnavailable, match="nothing could be read: velero lost"):
        plan(lost_cluster, PlanRequest(clusters=("lost",)), skip=["rds", "tfstate"])


def test_skip_and_account_narrow_the_plan_and_bad_input_is_refused(sandbox_config: Config) -> None:
    p = plan(sandbox_config, PlanRequest(accounts=("dev",)), skip=["velero", "tfstate"])
    assert [(i.kind, i.account, i.params["db"]) for i in p.items] == [("rds-snapshot", "dev", DATABASE)]
    assert p.items[0].account_id == account("dev").id
    p = plan(sandbox_config, PlanRequest(accounts=("staging",)), skip=["rds"])
    assert {i.kind for i in p.items} == {"s3-backup-bucket", "tfstate-backup"}  # prod's cluster: not chosen
    for raw, words in (
        ({"skip": ["rds", "velero", "tfstate"]}, "--skip leaves nothing to back up"),
        ({"skip": ["ebs"]}, "--skip"),
        ({"ttl": "soon"}, "--ttl 'soon'"),
        ({"velero_namespaces": ["Not_A_Namespace"]}, "--velero-namespaces"),
    ):
        with pytest.raises(InputError, match=words):
            plan(sandbox_config, **raw)


def test_a_failing_item_does_not_stop_the_others(
    sandbox: Any, sandbox_config: Config, estate: dict[str, Any], tmp_path: Path
) -> None:
    store, note = sandbox.kube.store, "sandbox.opsbook.io/velero-error"
    p = plan(sandbox_config, PlanRequest(accounts=("prod",)), skip=["rds"])
    assert [i.kind for i in p.items] == ["velero-backup", "s3-backup-bucket", "tfstate-backup"]
    ns = store.get("namespaces", "default")
    ns["metadata"].setdefault("annotations", {})[note] = "volume snapshot timed out"
    store.replace("namespaces", "default", ns)
    try:
        result = apply(sandbox_config, p, tmp_path)
    finally:
        ns = store.get("namespaces", "default")
        del ns["metadata"]["annotations"][note]
        store.replace("namespaces", "default", ns)
    assert results(result) == ["failed", "done", "done"] and result.failed
    assert "PartiallyFailed" in result.outcomes[0].reason
    copy = p.items[2].params
    s3 = estate["prod"]("s3")
    assert s3.get_object(Bucket=copy["bucket"], Key=copy["prefix"] + "manifest.json")["ContentLength"] > 0
    assert set(results(apply(sandbox_config, p, tmp_path, rollback=True))) == {"undone"}
