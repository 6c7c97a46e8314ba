"""`opsbook plan scale-nodegroup` + `opsbook apply` end to end on the session sandbox: prod's `application`
node group scales out in EKS (UPDATING, then ACTIVE with the new sizes) and the fake cluster gains Ready
nodes of that group; applying again changes nothing; `--rollback` puts the sizes and the nodes back.
Everything is read back from EKS (boto3) and from the Kubernetes API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from opsbook.cli.main import main
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import account

PROD = account("prod")
GROUP_LABEL = "eks.amazonaws.com/nodegroup=application"


def sizes(sandbox: Any) -> tuple[str, dict[str, int]]:
    eks = clients_for(sandbox.aws_url, PROD)("eks")
    ng = eks.describe_nodegroup(clusterName="my-cluster", nodegroupName="application")["nodegroup"]
    return ng["status"], ng["scalingConfig"]


def nodes(sandbox: Any) -> dict[str, str]:
    """name -> Ready status of the group's nodes, as `kubectl get nodes -l ...` shows them."""
    out = {}
    for n in sandbox.kube.store.list("nodes", label_selector_text=GROUP_LABEL):
        out[n["metadata"]["name"]] = next(
            c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"
        )
    return out


def updates(sandbox: Any) -> int:
    return len(sandbox.data.extra.get("eks", {}).get(PROD.id, {}))


def cli(config: Path, capsys: Any, *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    rc = main(["--config", str(config), *args, "-f", "json"])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip() else None


def test_scale_out_apply_again_and_roll_back(fast_nodegroups: Any, tmp_path: Path, capsys: Any) -> None:
    sandbox = fast_nodegroups
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    seeded = nodes(sandbox)
    assert sizes(sandbox) == ("ACTIVE", {"minSize": 3, "maxSize": 5, "desiredSize": 5}) and len(seeded) == 5
    plan_file = tmp_path / "plan.json"
    rc, _ = cli(config, capsys, "plan", "scale-nodegroup", "--cluster", "my-cluster", "--nodegroup",
                "application", "--max", "8", "--desired", "7", "-o", str(plan_file))  # fmt: skip
    assert (
        rc == 0 and json.loads(plan_file.read_text())["items"][0]["wait"]["condition"] == "nodegroup-scaled"
    )

    rc, done = cli(config, capsys, "apply", str(plan_file), "--yes")
    assert rc == 0, done
    assert [o["result"] for o in done["outcomes"]] == ["done"], done["outcomes"]
    assert "7/7 nodes, 6 Ready" in done["outcomes"][0]["reason"]  # the seeded NotReady node stays NotReady
    assert sizes(sandbox) == ("ACTIVE", {"minSize": 3, "maxSize": 8, "desiredSize": 7})
    after = nodes(sandbox)
    new = sorted(set(after) - set(seeded))
    assert len(after) == 7 and set(seeded) <= set(after) and [after[n] for n in new] == ["True", "True"]

    made = updates(sandbox)
    rc, again = cli(config, capsys, "apply", str(plan_file), "--yes")
    assert rc == 0 and [o["result"] for o in again["outcomes"]] == ["already-done"]
    assert updates(sandbox) == made and len(nodes(sandbox)) == 7  # no second UpdateNodegroupConfig

    rc, back = cli(config, capsys, "apply", str(plan_file), "--rollback", "--yes")
    assert rc == 0 and [o["result"] for o in back["outcomes"]] == ["undone"], back["outcomes"]
    assert sizes(sandbox) == ("ACTIVE", {"minSize": 3, "maxSize": 5, "desiredSize": 5})
    assert nodes(sandbox) == seeded  # the nodes it added are gone, the seeded ones untouched
