"""`opsbook incident ...` end to end on the session sandbox, in-process (so the published events are
captured by monkeypatching `opsbook.notify.publish`): open -> act scale-nodegroup (prod's `application`
group's desired size read back from EKS) -> the audit rows carry the incident -> resolve -> the post-mortem
has the timeline and the action -> `report monthly` counts it with its MTTR. The scale is rolled back at
the end, so the session sandbox is left as seeded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from opsbook.core.events import EventKind
from opsbook.notify import Delivery
from tests.cli.test_scale_nodegroup import sizes


def run(config: Path, capsys: Any, *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    rc = main(["--config", str(config), *args])
    out = capsys.readouterr().out
    try:
        return rc, json.loads(out)
    except ValueError:
        return rc, out


def test_open_act_resolve_postmortem_and_monthly(
    fast_nodegroups: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = fast_nodegroups
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    events: list[Any] = []
    monkeypatch.setattr("opsbook.notify.publish",
                        lambda cfg, event, store=None: events.append(event) or [Delivery("slack", True)])  # fmt: skip

    rc, inc = run(config, capsys, "incident", "open", "--title", "nodes NotReady", "--severity", "SEV2",
                  "--cluster", "my-cluster", "--detected", "10m", "--ticket", "-f", "json")  # fmt: skip
    assert rc == 0, inc
    assert [e.kind for e in events] == [EventKind.INCIDENT_OPENED, EventKind.INCIDENT_TICKET]
    assert [s["number"] for s in inc["steps"] if s["done_at"]] == [1, 2, 3]

    plan_file = tmp_path / "act.json"
    rc, bad = run(config, capsys, "incident", "act", inc["id"], "scale-nodegroup", "--cluster", "my-cluster",
                  "--nodegroup", "application", "-o", "x.json")  # fmt: skip
    assert rc == 2 and not plan_file.exists()
    assert sizes(sandbox)[1]["desiredSize"] == 5
    rc, applied = run(config, capsys, "incident", "act", inc["id"], "scale-nodegroup", "--cluster", "my-cluster",
                      "--nodegroup", "application", "--max", "6", "--desired", "6", "--yes",
                      "--plan-file", str(plan_file), "-f", "json")  # fmt: skip
    try:
        assert rc == 0, applied
        assert applied["incident"] == inc["id"] and [o["result"] for o in applied["outcomes"]] == ["done"]
        assert sizes(sandbox) == ("ACTIVE", {"minSize": 3, "maxSize": 6, "desiredSize": 6})
        rc, rows = run(config, capsys, "audit", "list", "--incident", inc["id"], "-f", "json")
        assert rc == 0 and {r["plan_hash"] for r in rows} == {applied["plan_hash"]}
        assert ("001", "done") in {(r["item_id"], r["result"]) for r in rows}

        rc, _ = run(config, capsys, "incident", "resolve", inc["id"], "--summary", "added a node")
        assert rc == 0 and events[-1].kind is EventKind.INCIDENT_RESOLVED
        rc, shown = run(config, capsys, "incident", "show", inc["id"], "-f", "json")
        assert shown["status"] == "resolved" and shown["time_to_resolve_minutes"] >= 10
        post = tmp_path / "pm.md"
        rc, _ = run(config, capsys, "incident", "postmortem", inc["id"], "-o", str(post))
        text = post.read_text(encoding="utf-8")
        assert rc == 0 and text.startswith(f"# Post-mortem {inc['id']}: nodes NotReady")
        actions = text.split("## Actions taken")[1].split("##")[0]
        assert "scale-nodegroup step 001 scale-nodegroup my-cluster/application done by" in actions
        assert "scale-nodegroup plan" in actions and "## Timeline" in text and "added a node" in text
        assert f"undo with `opsbook apply {plan_file} --rollback`" in actions  # a scale has an undo

        month = datetime.now(UTC).strftime("%Y-%m")
        rc, report = run(config, capsys, "report", "monthly", "--month", month, "-f", "json")
        assert rc == 0 and report["incident_stats"]["total"] == 1
        assert report["incident_stats"]["by_severity"] == {"SEV2": 1}
        assert report["incident_stats"]["mean_time_to_resolve_minutes"] == shown["time_to_resolve_minutes"]
        rc, listed = run(config, capsys, "incident", "list", "--month", month, "-f", "json")
        assert [i["id"] for i in listed] == [inc["id"]]
    finally:
        rc, back = run(config, capsys, "apply", str(plan_file), "--rollback", "--yes", "-f", "json")
        assert rc == 0, back
    assert sizes(sandbox) == ("ACTIVE", {"minSize": 3, "maxSize": 5, "desiredSize": 5})


def test_diagnose_and_real_notifications_land_on_the_timeline(
    sandbox: Any, receiver: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a real channel (apprise json:// to a receiver on 127.0.0.1): one message per incident event,
    steps 2-3 ticked by the delivery, `incident diagnose` writes the bundle for the incident's cluster and
    records it (step 5), and the timeline shows the notifications; the channel's token is in no output."""
    token = "tok-9f8e7d6c5b"
    monkeypatch.setenv("INCIDENT_HOOK_TOKEN", token)
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    doc["notifications"] = {
        "channels": {"ops": {"url": f"json://127.0.0.1:{receiver.port}/hook/${{INCIDENT_HOOK_TOKEN}}"}},
        "routes": [{"events": ["incident.*"], "channels": ["ops"]}],
    }
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    rc, inc = run(config, capsys, "incident", "open", "--title", "payments crashing", "--severity", "SEV3",
                  "--cluster", "my-cluster", "--service", "production/payments", "--ticket", "-f", "json")  # fmt: skip
    assert rc == 0, inc
    assert [s["number"] for s in inc["steps"] if s["done_at"]] == [1, 2, 3]
    assert len(receiver.posts) == 2 and all(token in path for path, _ in receiver.posts)

    bundle = tmp_path / "bundle"
    rc, summary = run(config, capsys, "incident", "diagnose", inc["id"], "-o", str(bundle), "-f", "json")
    assert rc in (0, 3), summary
    assert "CrashLoopBackOff" in " ".join(h["problem"] for h in summary["headlines"])
    assert (bundle / "summary.json").exists() and list(bundle.glob("*top-nodes*"))

    rc, _ = run(config, capsys, "incident", "resolve", inc["id"], "--summary", "rolled back payments")
    assert rc == 0 and len(receiver.posts) == 3
    rc, shown = run(config, capsys, "incident", "show", inc["id"], "-f", "json")
    assert 5 in [s["number"] for s in shown["steps"] if s["done_at"]]
    sources = [(e["source"], e["text"]) for e in shown["timeline"]]
    assert any(src == "diagnose" and str(bundle) in text for src, text in sources), sources
    notified = [text for src, text in sources if src == "notify"]
    assert notified == [f"opsbook: {kind}: sent to ops" for kind in ("incident.opened", "incident.ticket",
                                                             "incident.resolved")], notified  # fmt: skip
    assert token not in json.dumps(shown) and token not in capsys.readouterr().err


def test_diagnose_of_an_incident_about_what_opsbook_does_not_manage(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An incident may name what opsbook does not manage (only the shape is checked) and its targets cannot
    change later: `incident diagnose` collects the part the config has, noting the rest, and says so in one
    line when it has none (it said `--cluster my-clustr: not in ...`, an option never given)."""
    from opsbook.core.config import Config
    from opsbook.engine.diagnose import DiagnoseScope, managed

    monkeypatch.setattr("opsbook.notify.publish", lambda cfg, event, store=None: [])
    doc = {"storage": {"url": f"sqlite:///{tmp_path}/s.db"}, "aws": {"default_regions": ["us-east-1"]},
           "accounts": [{"name": "prod", "id": "333333333333"}],
           "clusters": [{"name": "my-cluster", "kubeconfig": "kubeconfig"}]}  # fmt: skip
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    rc, inc = run(config, capsys, "incident", "open", "--title", "t", "--severity", "SEV3", "--cluster", "my-clustr",
                  "--region", "us-east-9", "-f", "json")  # fmt: skip
    assert rc == 0 and inc["targets"] == ["k8s:my-clustr", "aws:*/us-east-9"]
    assert main(["--config", str(config), "incident", "diagnose", inc["id"], "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "has none of cluster my-clustr, region us-east-9: nothing to collect" in err, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "b").exists()

    cfg = Config.model_validate(doc)
    scope = DiagnoseScope(clusters=("my-cluster", "my-clustr"), accounts=("prdo",), regions=("us-east-1",))
    assert managed(cfg, scope) == (
        DiagnoseScope(clusters=("my-cluster",), regions=("us-east-1",)),
        ["cluster my-clustr", "account prdo"],
    )
