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
