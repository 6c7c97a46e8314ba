"""`opsbook plan eks-upgrade` and `opsbook apply` end to end, prod's my-cluster from 1.32 to 1.33, read back from
the sandbox (EKS through boto3, the fake cluster through kubectl). An upgrade cannot be undone, so each test
has an `opsbook sandbox up` of its own, with EKS's updates shortened (OPSBOOK_SANDBOX_<NAME>_SECONDS):

- through the EKS API (`--no-stack`): the apply killed with -9 while it waits for the control plane resumes
  the wait without a second UpdateClusterVersion; a PodDisruptionBudget that blocks the system group's drain
  fails that step naming the budget and its pods; without it, apply again finishes everything; the rollback
  says what EKS cannot undo.
- through the Atmos stack (a copy of the sandbox's tree): the manifest edited and applied by Terraform, whose
  hook starts the control plane's update; a pod broken while the system group updates turns its gate red
  and stops the plan before the application group; fixed, apply again finishes everything.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.cli.sandbox_proc import Sandbox, running_sandbox, wait_for

pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")
pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None or shutil.which("terraform") is None, reason="needs kubectl and terraform"
)

FAST = {
    "OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS": "1",
    "OPSBOOK_SANDBOX_EKS_ADDON_UPDATE_SECONDS": "0.3",
    "OPSBOOK_SANDBOX_EKS_NODEGROUP_UPDATE_SECONDS": "0.3",
    "OPSBOOK_SANDBOX_EKS_NODEGROUP_DRAIN_TIMEOUT_SECONDS": "2",
    "OPSBOOK_SANDBOX_NODE_READY_SECONDS": "0.3",
}
PROD_ROLE = "arn:aws:iam::333333333333:role/OpsbookReadOnly"
PLAN = (
    "eks-upgrade",
    "--cluster",
    "my-cluster",
    "--to",
    "1.33",
    "--poll-interval",
    "0.3",
    "--wait-timeout",
    "120",
)
COREDNS_PDB = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": "coredns", "namespace": "kube-system"},
               "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "coredns"}}}}  # fmt: skip
BROKEN = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken", "namespace": "default"},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "broken"}},
                   "template": {"metadata": {"labels": {"app": "broken"}},
                                "spec": {"containers": [{"name": "app", "image": "mycompany/api:2.0-broken"}]}}}}  # fmt: skip


def eks(sb: Sandbox) -> Any:
    """An EKS client in prod, as opsbook's sessions make one (the sandbox's keys, then prod's role)."""
    url = yaml.safe_load(sb.config.read_text(encoding="utf-8"))["aws"]["endpoint_url"]
    keys = {"aws_access_key_id": "opsbooksandbox", "aws_secret_access_key": "opsbooksandbox"}
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", **keys)
    creds = sts.assume_role(RoleArn=PROD_ROLE, RoleSessionName="test")["Credentials"]
    return boto3.client("eks", endpoint_url=url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])  # fmt: skip


def version_updates(client: Any) -> list[dict[str, Any]]:
    ids = client.list_updates(name="my-cluster")["updateIds"]
    found = [client.describe_update(name="my-cluster", updateId=i)["update"] for i in ids]
    return [u for u in found if u["type"] == "VersionUpdate"]


def kubectl_apply(sb: Sandbox, doc: dict[str, Any]) -> None:
    path = sb.root / f"{doc['metadata']['name']}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    sb.kubectl("apply", "-f", str(path))


def shown(summary: dict[str, Any]) -> str:
    return "\n".join(f"{o['item_id']} {o['result']}: {o['reason']}" for o in summary["outcomes"])


def apply(sb: Sandbox, plan: Path, *more: str) -> tuple[int, dict[str, Any]]:
    out = sb.opsbook("apply", str(plan), "--yes", "-f", "json", *more)
    assert out.returncode in (0, 3), out.stdout + out.stderr
    return out.returncode, json.loads(out.stdout)


def results(summary: dict[str, Any]) -> dict[str, str]:
    return {o["item_id"]: o["result"] for o in summary["outcomes"]}


def reason(summary: dict[str, Any], item_id: str) -> str:
    return next(
        str(o["reason"]) for o in summary["outcomes"] if o["item_id"] == item_id and o["result"] != "approved"
    )


def assert_upgraded(sb: Sandbox, client: Any, summary: dict[str, Any]) -> None:
    """Everything at 1.33, read back from EKS and the cluster, and the verify step's table says so."""
    assert client.describe_cluster(name="my-cluster")["cluster"]["version"] == "1.33"
    for group in ("system", "application"):
        assert (
            client.describe_nodegroup(clusterName="my-cluster", nodegroupName=group)["nodegroup"]["version"]
            == "1.33"
        )
    nodes = json.loads(sb.kubectl("get", "nodes", "-o", "json"))["items"]
    kubelets = {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes}
    assert kubelets and all(k.startswith("v1.33.") for k in kubelets), kubelets
    assert all(
        c["status"] == "True" for n in nodes for c in n["status"]["conditions"] if c["type"] == "Ready"
    )
    proxy = client.describe_addon(clusterName="my-cluster", addonName="kube-proxy")["addon"]
    assert proxy["addonVersion"].startswith("v1.33.") and proxy["status"] == "ACTIVE"
    verify = next(o for o in summary["outcomes"] if o["action"] == "verify-versions")
    rows = {(r["what"], r["name"]): r for r in verify["details"]["versions"]}
    assert rows[("control plane", "my-cluster")]["version"] == "1.33"
    assert rows[("add-on", "kube-proxy")]["version"] == proxy["addonVersion"]
    assert rows[("kubelets", "application")]["version"].startswith("v1.33.")


@pytest.fixture()
def api_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    slow_plane = FAST | {"OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS": "8"}  # time to kill apply in its wait
    with running_sandbox(tmp_path, slow_plane) as sb:
        yield sb


def test_through_the_eks_api_kill_resume_pdb_and_rollback(api_sandbox: Sandbox) -> None:
    sb, client = api_sandbox, eks(api_sandbox)
    plan_file, plan = sb.plan("upgrade.json", *PLAN, "--no-stack")
    kinds = [i["kind"] for i in plan["items"]]
    assert kinds[:3] == ["eks-cluster-version", "eks-nodegroup-version", "eks-nodegroup-version"]
    assert [i["params"].get("nodegroup") for i in plan["items"][1:3]] == ["system", "application"]
    assert kinds[-1] == "eks-upgrade-verify" and "eks-addon-version" in kinds
    code, dry = apply(sb, plan_file, "--dry-run")  # every step judged as if the ones before it had run
    assert code == 0 and set(results(dry).values()) == {"would-act"}, shown(dry)
    kubectl_apply(sb, COREDNS_PDB)

    first = sb.apply_in_background(plan_file)
    try:
        wait_for("the control plane wait", lambda: sb.journal(plan["plan_hash"]).get("001") == "waiting", 90)
        assert first.poll() is None, first.communicate()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert client.describe_cluster(name="my-cluster")["cluster"]["status"] == "UPDATING"

    code, summary = apply(sb, plan_file)  # resumes the wait; the system group's drain is blocked
    assert code == 3 and results(summary)["001"] == "resumed", summary
    assert len(version_updates(client)) == 1  # UpdateClusterVersion was called once
    assert results(summary)["002"] == "failed" and summary["stopped_at"] == "002"
    blocked = reason(summary, "002")
    assert "PodEvictionFailure" in blocked and "PodDisruptionBudget kube-system/coredns" in blocked
    assert "kube-system/coredns-" in blocked and "apply the plan again" in blocked
    assert (
        client.describe_nodegroup(clusterName="my-cluster", nodegroupName="application")["nodegroup"][
            "version"
        ]
        == "1.32"
    )

    sb.kubectl("delete", "pdb", "coredns", "-n", "kube-system")
    code, summary = apply(sb, plan_file)
    assert code == 0, shown(summary)
    assert results(summary)["001"] == "already-done" and results(summary)["002"] == "done"
    assert_upgraded(sb, client, summary)
    assert len(version_updates(client)) == 1
    code, again = apply(sb, plan_file)
    assert code == 0 and set(results(again).values()) == {"already-done"}

    code, rolled = apply(sb, plan_file, "--rollback")
    assert code == 3 and results(rolled)[plan["items"][-1]["id"]] == "undone"
    assert "EKS cannot downgrade a control plane" in reason(rolled, "001")
    assert "cannot roll a managed node group back" in reason(rolled, "002")
    assert client.describe_cluster(name="my-cluster")["cluster"]["version"] == "1.33"


@pytest.fixture()
def stack_sandbox(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    from opsbook.sandbox.stacks import sandbox_stacks_dir

    tree = tmp_path / "stacks"
    shutil.copytree(sandbox_stacks_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (tmp_path / "sb").mkdir()
    held = FAST | {
        "OPSBOOK_SANDBOX_EKS_NODEGROUP_DRAIN_TIMEOUT_SECONDS": "120"
    }  # a budget holds a drain, no failure
    with running_sandbox(tmp_path / "sb", held) as sb:
        cfg = yaml.safe_load(sb.config.read_text(encoding="utf-8"))
        cfg["stacks"]["atmos_config"] = str(tree)
        sb.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        yield sb, tree


def test_through_the_stack_a_red_gate_stops_before_the_next_group(
    stack_sandbox: tuple[Sandbox, Path],
) -> None:
    sb, tree = stack_sandbox
    client = eks(sb)
    manifest = tree / "stacks/orgs/mycompany/prod/use1/eks.yaml"
    plan_file = sb.root / "upgrade.json"
    table = sb.opsbook("plan", *PLAN, "-o", str(plan_file))  # shows the YAML diff and Terraform's plan
    assert table.returncode == 0, table.stderr
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    assert '+        kubernetes_version: "1.33"' in table.stdout, table.stdout
    assert 'also changes terraform_data.node_group["application"]' in table.stdout  # the seeded drift, said
    assert (
        "delete/create terraform_data.control_plane_version: triggers_replace '1.32' -> '1.33'"
        in table.stdout
    )
    kinds = [i["kind"] for i in plan["items"]]
    assert kinds[:4] == ["eks-version-manifest-edit", "eks-version-terraform-apply", "eks-nodegroup-version",
                         "eks-nodegroup-version"]  # fmt: skip
    system = next(i["id"] for i in plan["items"] if i["params"].get("nodegroup") == "system")
    application = next(i["id"] for i in plan["items"] if i["params"].get("nodegroup") == "application")

    kubectl_apply(sb, COREDNS_PDB)  # holds the system group's drain until the test has broken a pod
    run = sb.apply_in_background(plan_file, json_output=True)

    def system_updating() -> bool:
        assert run.poll() is None, run.communicate()
        return sb.journal(plan["plan_hash"]).get(system) == "waiting"

    wait_for("the system node group's update", system_updating, 120)
    kubectl_apply(sb, BROKEN)  # its pod never starts: the gate after the system group turns red
    wait_for("the broken pod", lambda: "broken-" in sb.kubectl("get", "pods", "-n", "default", "-o", "name"))
    sb.kubectl("delete", "pdb", "coredns", "-n", "kube-system")
    stdout, stderr = run.communicate(timeout=180)
    assert run.returncode == 3, stdout + stderr
    summary = json.loads(stdout)
    assert "gate-red" in [o["result"] for o in summary["outcomes"] if o["item_id"] == system], shown(summary)
    assert "default/broken" in reason(
        {"outcomes": [o for o in summary["outcomes"] if o["result"] == "gate-red"]}, system
    )
    assert results(summary)[application] == "not-run" and summary["stopped_at"] == system
    assert (
        client.describe_nodegroup(clusterName="my-cluster", nodegroupName="application")["nodegroup"][
            "version"
        ]
        == "1.32"
    )
    assert 'kubernetes_version: "1.33"' in manifest.read_text(encoding="utf-8")
    assert len(version_updates(client)) == 1  # started by Terraform's hook

    sb.kubectl("delete", "deployment", "broken", "-n", "default")  # the fake API collects no garbage:
    sb.kubectl(
        "delete", "replicasets,pods", "-l", "app=broken", "-n", "default"
    )  # its ReplicaSet and pod too
    code, summary = apply(sb, plan_file)
    assert code == 0, shown(summary)
    assert results(summary)[system] == "already-done" and results(summary)[application] == "done"
    assert_upgraded(sb, client, summary)
    assert len(version_updates(client)) == 1
    code, _ = apply(sb, plan_file)
    assert code == 0
    plan_again = sb.opsbook(
        "plan", *PLAN
    )  # the stack and the cluster agree: 1.33 is no longer the next minor
    assert plan_again.returncode == 2 and "already at 1.33" in plan_again.stderr
