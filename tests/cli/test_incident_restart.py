"""`opsbook incident act ID restart-deployment NS/NAME` on the per-test fake cluster (the guide's emergency
`kubectl rollout restart deployment/myapp`): every pod of production/my-app is replaced and the rollout
waited for; the template carries the plan's restartedAt; applying the plan again sends nothing; the audit
rows name the incident. Read back from the fake API server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsbook.cli.main import main
from opsbook.procedures.secret_mirror import RESTARTED
from tests.cli.helpers import apply_json

NS, NAME = "production", "my-app"


def pods(server: Any) -> set[str]:
    return {
        p["metadata"]["name"]
        for p in server.store.list("pods", NS)
        if p["metadata"]["labels"].get("app") == NAME
    }


def test_restart_replaces_every_pod_once(
    kube_cli: Any, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    server, config = kube_cli
    monkeypatch.setattr("opsbook.notify.publish", lambda cfg, event, store=None: [])
    monkeypatch.chdir(tmp_path)  # the plan file lands here by default
    capsys.readouterr()
    assert main(["--config", str(config), "incident", "open", "--title", "my-app 502", "--severity", "SEV3",
                 "--service", f"{NS}/{NAME}", "-f", "json"]) == 0  # fmt: skip
    inc = json.loads(capsys.readouterr().out)
    assert [s["number"] for s in inc["steps"] if s["done_at"]] == [1]  # no channel delivered: step 2 open
    before = pods(server)
    rc = main(["--config", str(config), "incident", "act", inc["id"], "restart-deployment", f"{NS}/{NAME}",
               "--cluster", "my-cluster", "--yes", "-f", "json"])  # fmt: skip
    done = json.loads(capsys.readouterr().out)
    assert rc == 0 and [o["result"] for o in done["outcomes"]] == ["done"], done
    (plan_file,) = tmp_path.glob(f"{inc['id']}-restart-deployment-*.json")
    stamp = json.loads(plan_file.read_text())["items"][0]["params"]["stamp"]
    dep = server.store.get("deployments.apps", NAME, NS)
    assert dep["spec"]["template"]["metadata"]["annotations"][RESTARTED] == stamp
    after = pods(server)
    assert len(after) == len(before) and not after & before  # every pod replaced
    assert dep["status"]["updatedReplicas"] == dep["status"]["availableReplicas"] == len(after)

    rc, again = apply_json(config, plan_file, capsys)
    assert rc == 0 and [o["result"] for o in again["outcomes"]] == ["already-done"]
    assert server.requests.count("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/{NAME}") == 1
    assert main(["--config", str(config), "incident", "show", inc["id"], "-f", "json"]) == 0
    timeline = json.loads(capsys.readouterr().out)["timeline"]
    assert any(
        e["source"] == "audit" and "rollout-restart production/my-app done" in e["text"] for e in timeline
    )
    (acted,) = [e["text"] for e in timeline if e["source"] == "action"]  # a restart has no undo to offer
    assert acted.endswith("; its steps have no undo") and "--rollback" not in acted, acted
    assert main(["--config", str(config), "audit", "list", "--incident", inc["id"], "-f", "json"]) == 0
    assert {r["result"] for r in json.loads(capsys.readouterr().out)} == {"done"}


def test_act_refuses_with_one_line(kube_cli: Any, tmp_path: Path, capsys: Any) -> None:
    server, config = kube_cli
    base = ["--config", str(config), "incident"]
    assert main([*base, "open", "--title", "t", "--severity", "SEV4", "-f", "json"]) == 0
    inc = json.loads(capsys.readouterr().out)["id"]
    plan_file = ["--plan-file", str(tmp_path / "p.json")]
    for args, message in (
        ([inc, "restart-deployment", f"{NS}/nope", "--cluster", "my-cluster"], "production/nope"),
        ([inc, "restart-deployment", f"{NS}/{NAME}", "--sandbox"], "--sandbox is not a planner option here"),
        (["INC-19990101-001", "restart-deployment", f"{NS}/{NAME}"], "'INC-19990101-001' not found"),
        (
            [inc, "restart-deployment", f"{NS}/{NAME}", "--no-such-option"],
            "--no-such-option",
        ),  # the planner's
    ):
        assert main([*base, "act", *args, *plan_file]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "p.json").exists()
    assert main([*base, "open", "--title", "t", "--severity", "SEV9"]) == 2
    assert "--severity 'SEV9'" in capsys.readouterr().err
