"""`opsbook k8s top nodes|pods` and `opsbook k8s unhealthy` against the session sandbox (EKS my-cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsbook.cli.main import main

pytestmark = pytest.mark.usefixtures("sandbox")


@pytest.fixture()
def config_file(sandbox, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    return str(sandbox.write_config(tmp_path / "opsbook.yaml", f"sqlite:///{tmp_path}/db.sqlite"))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    code = main([*args, "-f", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_top_nodes_sorted_by_cpu_and_memory(config_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, rows = run_json(capsys, "--config", config_file, "k8s", "top", "nodes")
    assert code == 0 and rows[0]["node"] == "ip-10-0-2-24.ec2.internal" and rows[0]["cpu_percent"] > 90
    assert {r["cluster"] for r in rows} == {"my-cluster"} and len(rows) == 6
    # the NotReady node has no metrics: listed last, its usage unknown (kubectl: <unknown>)
    assert rows[-1] == {"cluster": "my-cluster", "node": "ip-10-0-2-21.ec2.internal", "cpu_m": None,
                        "cpu_percent": None, "memory_mib": None, "memory_percent": None}  # fmt: skip
    _, rows = run_json(capsys, "--config", config_file, "k8s", "top", "nodes", "--sort-by", "memory")
    assert rows[0]["node"] == "ip-10-0-2-22.ec2.internal" and rows[0]["memory_percent"] == 95.0
    assert rows[-1]["node"] == "ip-10-0-2-21.ec2.internal"
    assert main(["--config", config_file, "k8s", "top", "nodes"]) == 0  # table
    line = next(x for x in capsys.readouterr().out.splitlines() if "ip-10-0-2-21" in x)
    assert line.count("<unknown>") == 4


def test_top_pods_by_memory_with_namespace_and_limit(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows = run_json(capsys, "--config", config_file, "k8s", "top", "pods", "--limit", "3")
    assert code == 0 and len(rows) == 3 and all(r["pod"].startswith("myapp-") for r in rows)
    _, rows = run_json(
        capsys, "--config", config_file, "k8s", "top", "pods", "-n", "kube-system", "--sort-by", "cpu"
    )
    assert {r["namespace"] for r in rows} == {"kube-system"} and rows[0]["pod"].startswith("metrics-server")


def test_unhealthy_lists_nodes_pods_and_deployments(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows = run_json(capsys, "--config", config_file, "k8s", "unhealthy")
    assert code == 1
    got = {(r["kind"], r["name"]): r["status"] for r in rows}
    assert got[("Node", "ip-10-0-2-21.ec2.internal")].startswith("Ready=Unknown")
    assert got[("Pod", "payments-5f7b9c8d4-c7xkq")] == "CrashLoopBackOff"
    assert got[("Pod", "worker-59d6f7c8b-zt5lq")] == "Pending"
    assert got[("Deployment", "payments")] == "1/3 available"
    assert ("Pod", "myapp-6d4cf56db6-2xkqp") not in got
    # Running, 0/1 ready, 27 restarts (last OOMKilled 20 min ago): k8s.container_restarts' rule
    oom = next(r for r in rows if r["name"] == "payments-5f7b9c8d4-m4pz8")
    assert (oom["status"], oom["ready"], oom["restarts"]) == ("Running", "0/1", 27)
    assert oom["detail"] == "app restarted 27 times (last: OOMKilled, exit 137)"
    code = main(["--config", config_file, "k8s", "unhealthy"])  # table
    out = capsys.readouterr().out
    assert code == 1 and "CrashLoopBackOff" in out and "8 unhealthy" in out


def test_unknown_cluster_and_bad_flags_are_usage_errors(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config_file, "k8s", "top", "nodes", "--cluster", "nope"]) == 2
    assert "--cluster nope" in capsys.readouterr().err
    assert main(["--config", config_file, "k8s", "top", "nodes", "--limit", "2"]) == 2
