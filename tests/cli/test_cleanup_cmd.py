"""`opsbook cleanup plan|apply` and `opsbook audit list` end to end, against a sandbox of their own.

Apply deletes things, so these tests never touch the session-wide `sandbox` fixture: they start
`opsbook sandbox up` in a subprocess and drive it with `opsbook --config <its config>` subprocesses.
Each test works in its own account (dev, staging, prod) so their changes do not meet.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.helpers import die_with_parent

pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")

CLI = [sys.executable, "-m", "opsbook.cli.main"]


class Estate:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "sandbox.yaml"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSBOOK_"))}
        return full_env | {"NO_COLOR": "1", "COLUMNS": "200"} | (extra or {})

    def run(
        self, *args: str, env: dict[str, str] | None = None, config: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, "--config", str(config or self.config), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=180,
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def plan(self, *args: str, name: str = "plan.json", config: Path | None = None) -> dict[str, Any]:
        out = self.run("cleanup", "plan", *args, "-o", name, "--format", "json", config=config)
        assert out.returncode == 0, out.stderr
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def apply(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("cleanup", "apply", *args, env=env)

    def audit(self, plan_hash: str) -> list[dict[str, Any]]:
        out = self.run("audit", "list", "--since", "1d", "--format", "json")
        assert out.returncode == 0, out.stderr
        return [r for r in json.loads(out.stdout) if r["plan_hash"] == plan_hash]

    def client(self, account: str, service: str) -> Any:
        from opsbook.sandbox.aws.seed import clients_for
        from opsbook.sandbox.estate import account as sandbox_account

        endpoint = yaml.safe_load(self.config.read_text(encoding="utf-8"))["aws"]["endpoint_url"]
        return clients_for(endpoint, sandbox_account(account))(service)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    root = tmp_path_factory.mktemp("cleanup")
    e = Estate(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOOK_")} | {"NO_COLOR": "1"}
    proc = subprocess.Popen(
        [*CLI, "sandbox", "up", "--config-out", str(e.config), "--storage-url", f"sqlite:///{root}/store.db"],
        cwd=root,
        preexec_fn=die_with_parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 180
        while not e.config.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not come up: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.3)
        yield e
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def by_item(out: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """item id -> result from apply's per-item lines (`<id> <action> <resource>: <result> <reason>`)."""
    got: dict[str, str] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts and parts[0].isdigit() and len(parts[0]) == 3 and ":" in line:
            got[parts[0]] = line.split(": ", 1)[1].split()[0]
    return got


def test_full_cycle_plan_approve_apply_replan_empty_and_idempotent(estate: Estate) -> None:
    plan = estate.plan("--account", "dev")
    kinds = Counter(i["kind"] for i in plan["items"])
    assert kinds == {"ebs-volume": 1, "elastic-ip": 1, "ebs-snapshot": 1, "load-balancer": 1, "s3-tiering": 1}
    names = {i["resource"]["name"] for i in plan["items"]}
    assert {"orphaned-data", "spare-ip", "legacy-alb", "mycompany-dev-archive"} <= names
    assert plan["total_saving_usd_month"] > 30 and all(i["saving_usd_month"] > 0 for i in plan["items"])
    assert [e["resource"]["name"] for e in plan["excluded"]] == ["keep-forensics"]  # the protected volume

    refused = estate.apply("plan.json")  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    applied = estate.apply("plan.json", "--yes", "--snapshot-before-delete")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert set(by_item(applied).values()) == {"done"} and len(by_item(applied)) == 5
    assert "taken first" in applied.stdout  # the volume was snapshotted before deletion

    again = estate.plan("--account", "dev", name="replan.json")
    assert again["items"] == [] and len(again["excluded"]) == 1

    second = estate.apply("plan.json", "--yes")
    assert second.returncode == 0 and set(by_item(second).values()) == {"already-done"}

    rows = estate.audit(plan["plan_hash"])
    assert Counter(r["result"] for r in rows) == {"refused": 1, "done": 5, "already-done": 5}
    done = [r for r in rows if r["result"] == "done"]
    assert sorted(r["resource"] for r in done) == sorted(
        i["resource"]["arn"] or i["resource"]["id"] if i["kind"] == "load-balancer" else i["resource"]["id"]
        for i in plan["items"]
    )
    assert all(r["who"] and r["host"] and r["plan_hash"] == plan["plan_hash"] for r in rows)
    tiering = estate.client("dev", "s3").list_bucket_intelligent_tiering_configurations(
        Bucket="mycompany-dev-archive"
    )
    assert [c["Id"] for c in tiering["IntelligentTieringConfigurationList"]] == [
        "opsbook-intelligent-tiering"
    ]


def test_changed_and_protected_resources_are_skipped_or_refused(estate: Estate) -> None:
    plan = estate.plan("--account", "staging", "--kinds", "ebs,eip")
    volume = next(i for i in plan["items"] if i["kind"] == "ebs-volume")["resource"]["id"]
    address = next(i for i in plan["items"] if i["kind"] == "elastic-ip")["resource"]["id"]
    ec2 = estate.client("staging", "ec2")
    instance = ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdx")  # attached after the plan
    ec2.create_tags(Resources=[address], Tags=[{"Key": "opsbook:keep", "Value": "true"}])  # protected since

    out = estate.apply("plan.json", "--yes")
    assert out.returncode == 0, out.stderr
    results = {r["resource"]: r for r in estate.audit(plan["plan_hash"])}
    assert results[volume]["result"] == "skipped" and "in-use" in results[volume]["reason"]
    assert results[address]["result"] == "refused" and "protect tag" in results[address]["reason"]
    assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"]  # still there
    assert ec2.describe_addresses(AllocationIds=[address])["Addresses"]

    # an account marked protected in the config refuses everything
    cfg = yaml.safe_load(estate.config.read_text(encoding="utf-8"))
    for a in cfg["accounts"]:
        a["protected"] = a["name"] == "staging"
    protected_cfg = estate.root / "protected.yaml"
    protected_cfg.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    excluded = estate.plan("--account", "staging", "--kinds", "snapshot", name="x.json", config=protected_cfg)
    assert (
        excluded["items"] == [] and "protected" in excluded["excluded"][0]["reason"]
    )  # the planner leaves it out
    estate.plan(
        "--account", "staging", "--kinds", "snapshot", name="snap.json"
    )  # made before it was protected
    refused = estate.run("cleanup", "apply", "snap.json", "--yes", config=protected_cfg)
    assert refused.returncode == 0, refused.stderr
    assert set(by_item(refused).values()) == {"refused"} and "protected" in refused.stdout


def test_tampered_and_expired_plans_are_refused(estate: Estate) -> None:
    plan = estate.plan("--account", "staging", "--kinds", "s3-tiering", "--expires-in", "1s")
    data = json.loads((estate.root / "plan.json").read_text(encoding="utf-8"))
    data["items"][0]["resource"]["id"] = "mycompany-staging-assets"
    (estate.root / "tampered.json").write_text(json.dumps(data), encoding="utf-8")
    tampered = estate.apply("tampered.json", "--yes")
    assert tampered.returncode == 2 and "altered" in tampered.stderr
    time.sleep(1.2)
    expired = estate.apply("plan.json", "--yes")
    assert expired.returncode == 2 and "expired" in expired.stderr
    rows = estate.audit(plan["plan_hash"])
    assert [r["result"] for r in rows] == ["refused", "refused"]
    assert (
        not estate.client("staging", "s3")
        .list_bucket_intelligent_tiering_configurations(Bucket="mycompany-staging-archive")
        .get("IntelligentTieringConfigurationList")
    )


def test_killed_apply_resumes_without_acting_twice(estate: Estate) -> None:
    plan = estate.plan("--account", "prod")
    ids = [i["id"] for i in plan["items"]]
    assert len(ids) >= 5
    killed = estate.apply("plan.json", "--yes", env={"OPSBOOK_TEST_CRASH_AFTER_ACTIONS": "2"})
    assert killed.returncode == 137  # exited hard after the 2nd action, before journaling it done
    # the next apply first settles the item left `started` (its resource is gone: resumed, not redone),
    # then refuses: more resources left than --max-resources
    too_many = estate.apply("plan.json", "--yes", "--max-resources", "2")
    assert too_many.returncode == 2 and "max-resources" in too_many.stderr
    assert by_item(too_many) == {ids[1]: "resumed"}
    resumed = estate.apply("plan.json", "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert by_item(resumed) == {ids[0]: "already-done", ids[1]: "already-done"} | {i: "done" for i in ids[2:]}
    rows = estate.audit(plan["plan_hash"])
    acted = Counter(r["item_id"] for r in rows if r["result"] in ("done", "resumed"))
    assert acted == dict.fromkeys(ids, 1)  # each resource exactly once
    assert not [r for r in rows if r["result"] == "failed"]
    # the killed apply left its plan lock behind; the next apply took it over (its pid is gone), once
    (taken,) = [r for r in rows if r["result"] == "lock-taken-over"]
    assert "is gone" in taken["reason"] and taken["apply_id"] == next(
        r["apply_id"] for r in rows if r["result"] == "resumed"
    )
    assert "note: took over the stale lock" not in resumed.stdout  # released properly in between
    assert estate.plan("--account", "prod", name="after.json")["items"] == []


def read_until(fd: int, marker: str, timeout: float = 120) -> str:
    """Read a pty until `marker` shows up (or the other side closes)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_a_second_apply_of_a_plan_being_applied_exits_2_naming_the_holder(estate: Estate) -> None:
    """Two real applies of one plan: the first holds the plan's lock while it waits for approval on a
    terminal; the second exits 2 with one line naming it; the first then acts exactly once."""
    plan = estate.plan("--account", "staging", "--kinds", "idle-lb", name="lb.json")
    (item,) = plan["items"]
    master, slave = pty.openpty()
    first = subprocess.Popen(
        [*CLI, "--config", str(estate.config), "cleanup", "apply", "lb.json"],
        cwd=estate.root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=estate.env(),
    )
    os.close(slave)
    try:
        assert "Apply these 1 changes?" in read_until(master, "Apply these")  # holding the lock, asking
        second = estate.apply("lb.json", "--yes")
        os.write(master, b"y\n")
        rest = read_until(master, "apply ")
        assert first.wait(120) == 0, rest
    finally:
        if first.poll() is None:
            first.kill()
        os.close(master)

    assert second.returncode == 2 and second.stdout == "", second.stdout
    (line,) = second.stderr.strip().splitlines()
    assert f"pid {first.pid}, apply " in line and "is being applied by" in line and " since " in line
    rows = estate.audit(plan["plan_hash"])
    assert Counter(r["result"] for r in rows) == {"refused": 1, "done": 1}
    assert [r["item_id"] for r in rows if r["result"] == "done"] == [item["id"]]  # one destructive call
    names = [lb["LoadBalancerName"] for lb in estate.client("staging", "elbv2").describe_load_balancers()["LoadBalancers"]]  # fmt: skip
    assert "legacy-alb" not in names and "web-alb" in names
