"""Maintenance windows without a server: schedule -> notice published once, reminders once when due, strict
times and targets, which run targets a window covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook import notify
from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.events import MAINTENANCE_KEY, EventKind
from opsbook.core.models import Finding, Severity, Status, Target, TargetKind
from opsbook.engine import maintenance
from opsbook.store import maintenance as store_mw
from opsbook.store.db import open_store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    cfg = Config.model_validate({"storage": {"url": f"sqlite:///{tmp_path}/s.db"},
                                 "accounts": [{"name": "prod", "id": "111111111111"}],
                                 "clusters": [{"name": "prod/my-cluster", "kubeconfig": "kubeconfig"}],
                                 "notifications": {"channels": {"ops-sns": {"sns": {
                                     "topic_arn": "arn:aws:sns:us-east-1:111111111111:maintenance-alerts",
                                     "account": "prod"}}}}})  # fmt: skip
    sent: list[Any] = []
    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: sent.append(event) or [])
    store = open_store(cfg.storage.url)
    yield cfg, store, sent
    store.close()


def request(at: str = "2026-12-07T02:00Z", **kw: Any) -> maintenance.ScheduleRequest:
    return maintenance.ScheduleRequest(at=at, duration=kw.pop("duration", "2h"),
                                       targets=kw.pop("targets", ("cluster=my-cluster,account=prod",)), **kw)  # fmt: skip


def test_schedule_records_the_window_and_publishes_the_notice_once(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, sent = setup
    w = maintenance.schedule(
        cfg, store, request(channels=("ops-sns",), title="EKS upgrade"), created_by="me@h", now=NOW
    )
    back = store_mw.get_window(store, window_id=w.id)
    assert back.targets == ("account=prod", "cluster=my-cluster") and back.channels == ("ops-sns",)
    assert back.starts_at == datetime(
        2026, 12, 7, 2, 0, tzinfo=UTC
    ) and back.ends_at - back.starts_at == timedelta(hours=2)
    assert back.status == "scheduled" and back.notice_sent_at == NOW
    assert [e.kind for e in sent] == [EventKind.MAINTENANCE_NOTICE]
    assert sent[0].title == "Scheduled maintenance on 2026-12-07 at 02:00 UTC for 2 h"
    assert sent[0].details["channels"] == ["ops-sns"] and sent[0].ref == f"maintenance:{w.id}"
    assert not maintenance.send(cfg, store, back, "notice", EventKind.MAINTENANCE_NOTICE, "again", NOW)
    assert len(sent) == 1


def test_a_reminder_goes_out_once_when_due_and_the_status_follows_the_clock(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, sent = setup
    w = maintenance.schedule(cfg, store, request(remind_before="1h"), created_by="me", now=NOW)
    start = w.starts_at
    assert maintenance.remind(cfg, store, start - timedelta(hours=2)) == []  # not yet due
    assert [x.id for x in maintenance.remind(cfg, store, start - timedelta(minutes=30))] == [w.id]
    assert maintenance.remind(cfg, store, start - timedelta(minutes=20)) == []  # once
    assert [e.kind for e in sent] == [EventKind.MAINTENANCE_NOTICE, EventKind.MAINTENANCE_REMINDER]
    assert [x.id for x in maintenance.active(store, start + timedelta(minutes=1))] == [w.id]
    maintenance.remind(cfg, store, start + timedelta(minutes=1))
    assert store_mw.get_window(store, window_id=w.id).status == "active"
    maintenance.remind(cfg, store, start + timedelta(hours=3))
    assert store_mw.get_window(store, window_id=w.id).status == "done"
    assert maintenance.active(store, start + timedelta(hours=3)) == []


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"at": "2026-12-07T02:00"}, "give the time zone"),
        ({"at": "next tuesday"}, "expected an ISO 8601 time"),
        ({"duration": "2x"}, "--duration"),
        ({"targets": ("node=x",)}, "KEY one of cluster, account, region, stack"),
        ({"targets": ("account=nope",)}, "no account 'nope'"),
        ({"targets": ("cluster=my-clustr",)}, "no cluster 'my-clustr'"),  # a typo would cover nothing
        ({"targets": ("region=us-east-9",)}, "unknown AWS region 'us-east-9'"),  # and so would this one
        ({"targets": ("stack=mycompany-prod-use1",)}, "stack= names the stacks tree's target \\(none"),
        ({"at": "2026-11-01T02:00Z"}, "already ended"),
        ({"at": "9999-12-31T23:00Z"}, "out of range"),  # ends after year 9999: was an OverflowError (exit 70)
        ({"duration": "99999999999d"}, "--duration: out of range, got '99999999999d'"),
        ({"duration": "inf"}, "--duration: out of range, got 'inf'"),
        (
            {"remind_before": "999999d"},
            "--remind-before: out of range, got '999999d'",
        ),  # every run's reminder check
    ],
)
def test_bad_input_is_one_line_and_records_nothing(setup, kw: dict[str, Any], message: str) -> None:  # type: ignore[no-untyped-def]
    cfg, store, sent = setup
    with pytest.raises(InputError, match=message):
        maintenance.schedule(cfg, store, request(**kw), created_by="me", now=NOW)
    assert store_mw.windows(store) == [] and sent == []


def test_a_window_marks_findings_on_the_targets_it_covers(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, _ = setup
    w = maintenance.schedule(cfg, store, request(targets=("cluster=my-cluster", "region=eu-west-1")),
                             created_by="me", now=NOW)  # fmt: skip

    def finding(target: Target) -> Finding:
        return Finding(check_id="x.y", status=Status.FAIL, severity=Severity.HIGH, target=target, message="m")

    inside = [Target(kind=TargetKind.K8S, cluster="my-cluster"), Target(kind=TargetKind.K8S, cluster="prod/my-cluster"),
              Target(kind=TargetKind.AWS, account="dev", region="eu-west-1")]  # fmt: skip
    outside = [
        Target(kind=TargetKind.K8S, cluster="other"),
        Target(kind=TargetKind.AWS, account="prod", region="us-east-1"),
    ]
    findings = [finding(t) for t in inside + outside]
    maintenance.mark(findings, [w])
    assert [f.details.get(MAINTENANCE_KEY) for f in findings] == [w.id] * 3 + [None] * 2


def test_a_window_that_has_started_is_scheduled_as_active(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, _ = setup  # `schedule` printed it `scheduled` until the next run or `list` moved it
    w = maintenance.schedule(cfg, store, request(at="2026-12-01T11:30Z"), created_by="me", now=NOW)
    assert w.status == "active" == store_mw.get_window(store, window_id=w.id).status


def test_a_stack_selector_names_the_stacks_tree_target(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg, store, _ = setup  # stack=<an Atmos stack> was stored and covered nothing (no run target is one)
    tree = tmp_path / "stacks"
    cfg = cfg.model_copy(
        update={"stacks": Config.model_validate({"stacks": {"atmos_config": str(tree)}}).stacks}
    )
    with pytest.raises(InputError, match=r"stack= names the stacks tree's target \(stack=stacks\)"):
        maintenance.schedule(
            cfg, store, request(targets=("stack=mycompany-prod-use1",)), created_by="me", now=NOW
        )
    w = maintenance.schedule(cfg, store, request(targets=("stack=stacks",)), created_by="me", now=NOW)
    assert maintenance.covers(w, Target(kind=TargetKind.ATMOS, stack="stacks"))


def test_schedule_refuses_a_channel_that_is_not_configured(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, sent = setup
    with pytest.raises(InputError, match="--notify pager: no such notification channel"):
        maintenance.schedule(cfg, store, request(channels=("pager",)), created_by="me@h", now=NOW)
    assert not store_mw.windows(store) and not sent


@pytest.mark.parametrize(
    "argv",
    [
        ["--at", "9999-12-31T23:00Z", "--duration", "2h"],
        ["--at", "2030-12-07T02:00Z", "--duration", "99999999999d"],
        ["--at", "2030-12-07T02:00Z", "--duration", "2h", "--remind-before", "999999d"],
    ],
)
def test_schedule_out_of_range_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    from opsbook.cli.main import main

    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/s.db'}}\n", encoding="utf-8")
    code = main(["--config", str(config), "maintenance", "schedule", *argv, "--targets", "region=eu-west-1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "out of range" in err and "\n" not in err, err
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    try:
        assert store_mw.windows(store) == []
    finally:
        store.close()


def test_a_run_still_marks_findings_when_the_reminders_fail(setup, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from opsbook.engine import service

    cfg, store, _ = setup
    now = datetime.now(UTC)
    w = maintenance.schedule(
        cfg, store, request(at=(now - timedelta(minutes=5)).isoformat()), created_by="me"
    )

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the channel is down")

    monkeypatch.setattr(maintenance, "remind", broken)
    windows, recorder = service.maintenance_of(cfg, store)
    assert [x.id for x in windows] == [w.id] and isinstance(recorder, maintenance.MarkingStore)


def test_show_and_cancel_see_a_window_that_ended_as_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from opsbook.cli.main import main

    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/s.db'}}\n", encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    try:  # no run has moved its status since it ended
        w = store_mw.create_window(store, title="t", starts_at=NOW - timedelta(hours=3), ends_at=NOW - timedelta(hours=1),
                                   targets=["region=eu-west-1"], channels=[], remind_before_s=3600, created_by="me",
                                   created_at=NOW - timedelta(days=1))  # fmt: skip
    finally:
        store.close()
    assert main(["--config", str(config), "maintenance", "show", str(w.id), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "done"
    assert main(["--config", str(config), "maintenance", "cancel", str(w.id)]) == 2
    assert f"maintenance window {w.id} is done" in capsys.readouterr().err


def test_a_named_config_that_is_not_there_is_refused_not_replaced_by_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsbook.cli.main import main

    monkeypatch.chdir(tmp_path)  # the default ./opsbook.yaml is absent too: its store would be ./.opsbook/
    argv = ["--config", "prod.yml", "maintenance", "schedule", "--at", "2030-12-07T02:00Z", "--duration", "2h",
            "--targets", "region=eu-west-1"]  # fmt: skip
    assert main(argv) == 2
    assert "prod.yml: file not found" in capsys.readouterr().err
    assert not (tmp_path / ".opsbook").exists()  # no window recorded in a store no run reads


def test_a_stored_reminder_reaching_before_year_1_does_not_break_the_reminders(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, store, sent = setup  # such a row was accepted before schedule refused it; every run reads it
    w = store_mw.create_window(store, title="t", starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=31),
                               targets=["region=eu-west-1"], channels=[], remind_before_s=999_999 * 86_400,
                               created_by="me", created_at=NOW)  # fmt: skip
    assert [x.id for x in maintenance.remind(cfg, store, NOW)] == [w.id]
    assert [e.kind for e in sent] == [EventKind.MAINTENANCE_REMINDER]


def test_schedule_says_which_channels_get_the_notice_and_when_none_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsbook.cli.main import main

    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: [])
    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/s.db'}}\n"
                      "notifications: {channels: {ops: {url: 'json://127.0.0.1:9/'}}}\n", encoding="utf-8")  # fmt: skip
    argv = ["--config", str(config), "maintenance", "schedule", "--at", "2030-12-07T02:00Z", "--duration", "2h",
            "--targets", "region=eu-west-1", "-f", "table"]  # fmt: skip
    assert main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "scheduled; no notification channel routes its notice" in out and "notice sent" not in out
    assert main([*argv, "--notify", "ops"]) == 0
    assert "scheduled; notice to ops" in " ".join(capsys.readouterr().out.split())
