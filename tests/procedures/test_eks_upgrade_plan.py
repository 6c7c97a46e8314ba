"""`eks-upgrade`'s planner on the session sandbox (read-only: prod's my-cluster at 1.32): what it refuses, and
the plan it writes; and the sandbox stacks' hook, which must never leave the machine. The applies are
tests/cli/test_eks_upgrade.py (a sandbox of their own: an upgrade cannot be undone)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.engine.eks_upgrade import NO_ROLLBACK
from opsbook.engine.procedures import make_plan
from opsbook.procedures.registry import PlanRequest

MY_CLUSTER = PlanRequest(clusters=("my-cluster",))


def plan(cfg: Config, **raw: Any) -> Any:
    return make_plan(cfg, "eks-upgrade", raw, MY_CLUSTER)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"to": "1.34"}, "cluster my-cluster runs 1.32; --to 1.34 is not the next minor (EKS upgrades one minor at a time: --to 1.33 first)"),
        ({"to": "1.32"}, "--to 1.32 is not the next minor (already at 1.32)"),
        ({"to": "1.33", "stack": "mycompany-prod-use1", "no_stack": True}, "--stack and --no-stack exclude each other"),
        ({"to": "1.33", "stack": "mycompany-dev-use1"}, "--stack mycompany-dev-use1: its eks component does not declare EKS cluster my-cluster in prod/us-east-1 (stacks that do: mycompany-prod-use1)"),
        ({"to": "133"}, "--to: String should match pattern"),
    ],
)  # fmt: skip
def test_refused_at_plan_time(sandbox_config: Config, raw: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as caught:
        plan(sandbox_config, **raw)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_packaged_stacks_tree_points_at_a_copy_or_the_eks_api(sandbox_config: Config) -> None:
    with pytest.raises(InputError) as caught:
        plan(sandbox_config, to="1.33")
    assert "copy it elsewhere" in str(caught.value) and "or pass --no-stack" in str(caught.value)


def hook(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "CLUSTER_NAME": "my-cluster",
        "REGION": "us-east-1",
        "ACCOUNT_ID": "333333333333",
    }
    return subprocess.run([sys.executable, "-m", "opsbook.sandbox.eks_version_hook", "1.33"], env=base | env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_the_stacks_hook_stays_on_this_machine() -> None:
    import os

    path = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    quiet = hook(path)
    assert quiet.returncode == 0 and "no EKS call made" in quiet.stdout
    away = hook(path | {"OPSBOOK_SANDBOX_AWS_ENDPOINT": "https://eks.us-east-1.amazonaws.com"})
    assert away.returncode == 2 and "is not this machine's sandbox; refusing" in away.stderr


def test_the_plan_through_the_eks_api(sandbox_config: Config) -> None:
    p = plan(sandbox_config, to="1.33", no_stack=True, poll_interval=2, wait_timeout=900)
    steps = [(i.kind, i.resource.name) for i in p.items]
    assert steps == [("eks-cluster-version", "my-cluster"), ("eks-nodegroup-version", "system"),
                     ("eks-nodegroup-version", "application"), ("eks-addon-version", "kube-proxy"),
                     ("eks-upgrade-verify", "my-cluster")]  # fmt: skip
    assert (
        p.ordered
    )  # vpc-cni and coredns are compatible with 1.33: they stay; the stack is left behind, said
    assert p.warnings == [
        # step 1, the pre-flight: prod's kube-proxy must move right after the control plane (a warning)
        "pre-flight upgrade.addon_compat: add-on my-cluster/kube-proxy v1.32.0-minimal-eksbuild.2 is not offered "
        "for 1.33: update it to v1.33.0-eksbuild.2 right after the control plane",
        "eks -s mycompany-prod-use1 declares my-cluster and still names the old version: set its kubernetes_version "
        "to 1.33 (opsbook plan stack-set), or its next terraform apply tries a downgrade",
        NO_ROLLBACK,
    ]  # fmt: skip
    assert all(i.depends_on == [p.items[n - 1].id] for n, i in enumerate(p.items) if n)  # one at a time
    gated = {i.kind: i.gate for i in p.items}
    assert gated["eks-nodegroup-version"] == [
        "k8s.node_not_ready",
        "k8s.pod_not_running",
        "k8s.deployment_unavailable",
    ]
    assert gated["eks-upgrade-verify"] == []
    cp, system, proxy = p.items[0], p.items[1], p.items[3]
    assert cp.wait is not None and (cp.wait.condition, cp.wait.timeout_s, cp.wait.interval_s) == (
        "cluster-version",
        900,
        2,
    )
    assert cp.params == {"cluster": "my-cluster", "to": "1.33", "from": "1.32"}
    assert system.wait is not None and system.wait.condition == "nodegroup-version"
    assert {"production/worker-59d6f7c8b-zt5lq", "production/payments"} <= set(system.wait.params["excused"])
    assert proxy.params["from"].startswith("v1.32.") and proxy.params["to"].startswith("v1.33.")
    shown = p.items[-1].evidence["display"]
    assert shown[0] == "versions of my-cluster now:" and any("kube-proxy" in line for line in shown)


def test_clusters_and_updates_the_steps_cannot_start_from(sandbox: Any, sandbox_config: Config) -> None:
    """read_eks on accounts whose my-cluster is not under `clusters:`: staging's is UPDATING."""
    from opsbook.engine.eks_target import Where
    from opsbook.engine.eks_upgrade import read_eks
    from opsbook.providers.aws.session import SessionFactory

    def where(name: str) -> tuple[Any, Where]:
        acct = sandbox_config.account(name)
        eks = SessionFactory(sandbox_config).client(acct, "us-east-1", "eks", f"aws:{name}/us-east-1")
        return eks, Where(acct, "us-east-1", "my-cluster", None)

    with pytest.raises(InputError, match="cluster my-cluster is UPDATING: wait until it is ACTIVE"):
        read_eks(*where("staging"), "1.33")
    _, groups, addons = read_eks(*where("dev"), "1.33")
    assert [g["nodegroupName"] for g in groups] == ["system", "application"]
    with pytest.raises(InputError, match="must be a cluster under `clusters:`"):
        make_plan(
            sandbox_config,
            "eks-upgrade",
            {"to": "1.33"},
            PlanRequest(clusters=("my-cluster",), accounts=("dev",)),
        )


def test_pre_flight_blockers_refuse_the_plan_unless_skipped(sandbox: Any, sandbox_config: Config) -> None:
    """Step 1 of the upgrade is the pre-flight: PodDisruptionBudgets that block every drain refuse the plan."""
    from tests.engine.upgrade_cases import disruption_budgets

    with disruption_budgets(sandbox):
        with pytest.raises(InputError, match=r"pre-flight found \d+ blocker.*upgrade\.pdb_blocks_drain"):
            plan(sandbox_config, to="1.33", no_stack=True)
        forced = plan(sandbox_config, to="1.33", no_stack=True, skip_preflight=True)
    assert any(
        w.startswith("pre-flight BLOCKER ignored (--skip-preflight) upgrade.pdb_blocks_drain")
        for w in forced.warnings
    )
