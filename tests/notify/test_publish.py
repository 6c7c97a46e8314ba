"""publish(): routing, one message per event, PagerDuty-style de-duplication, failures as deliveries, and
no secret in any output, log line, store row or error."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.core.config import Config
from opsbook.core.events import Event, EventKind, EventSeverity
from opsbook.notify import channels_for, publish, send_to
from opsbook.store import notifications
from opsbook.store.db import open_store
from tests.notify.receiver import Receiver

TOKEN = "s3cr3t-T0ken-4f9a2b"


def config(tmp_path: Path, channels: dict, routes: list | None = None) -> Config:
    routes = routes if routes is not None else [{"channels": list(channels)}]
    return Config.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path}/opsbook.db"},
            "notifications": {"channels": channels, "routes": routes},
        }
    )


@pytest.fixture()
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NOTIFY_TEST_TOKEN", TOKEN)
    monkeypatch.setattr("opsbook.notify.send.RETRY_PAUSE_S", 0.01)
    return TOKEN


def hook(receiver: Receiver) -> dict:
    return {"url": f"json://127.0.0.1:{receiver.port}/hook/${{NOTIFY_TEST_TOKEN}}", "timeout": 3}


def test_one_message_per_event_deduplicated_until_resolved(
    tmp_path: Path, receiver: Receiver, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, {"ops": hook(receiver)})
    store = open_store(cfg.storage.url)
    caplog.set_level(logging.DEBUG)
    opened = Event(EventKind.INCIDENT_OPENED, "SEV2: api errors", body="5xx at 20%", dedupe_key="inc-1",
                   severity=EventSeverity.HIGH, ref="inc-1", targets=("aws:prod/us-east-1",))  # fmt: skip
    try:
        first = publish(cfg, opened, store=store)
        again = publish(cfg, opened, store=store)
        resolved = publish(
            cfg, Event(EventKind.INCIDENT_RESOLVED, "resolved", dedupe_key="inc-1"), store=store
        )
        reopened = publish(cfg, opened, store=store)
        log = notifications.sent_between(store, datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC))
    finally:
        store.close()
    assert [d.ok for d in first] == [True] and not first[0].deduplicated
    assert again[0].ok and again[0].deduplicated
    assert not resolved[0].deduplicated and not reopened[0].deduplicated
    assert [p for p, _ in receiver.posts] == [f"/hook/{token}"] * 3  # the token did reach the receiver
    assert [b["title"] for b in receiver.bodies()] == ["SEV2: api errors", "resolved", "SEV2: api errors"]
    assert receiver.bodies()[0]["message"] == "5xx at 20%" and receiver.bodies()[0]["type"] == "failure"
    assert receiver.bodies()[1]["type"] == "success"  # incident.resolved resolves, whatever its severity
    assert [(e.kind, e.deduplicated, e.resolves) for e in log] == [
        ("incident.opened", False, False), ("incident.opened", True, False),
        ("incident.resolved", False, True), ("incident.opened", False, False),
    ]  # fmt: skip
    assert log[0].targets == ("aws:prod/us-east-1",) and log[0].ref == "inc-1"
    assert token not in (tmp_path / "opsbook.db").read_bytes().decode("latin-1")
    assert token not in caplog.text


def test_a_failing_channel_is_a_delivery_with_a_redacted_error_after_one_retry(
    tmp_path: Path, receiver: Receiver, token: str, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    receiver.status = 500
    cfg = config(tmp_path, {"ops": hook(receiver)})
    store = open_store(cfg.storage.url)
    caplog.set_level(logging.DEBUG)
    try:
        [failed] = publish(cfg, Event(EventKind.PLAN_FAILED, "plan failed", dedupe_key="p1"), store=store)
        [retried] = publish(cfg, Event(EventKind.PLAN_FAILED, "plan failed", dedupe_key="p1"), store=store)
        [row, _] = notifications.recent(store)
    finally:
        store.close()
    assert not failed.ok and failed.error and "\n" not in failed.error
    assert not retried.deduplicated  # a failed delivery does not count as sent
    assert len(receiver.posts) == 4  # two events, each tried twice
    assert row.ok is False and row.error == failed.error
    out = capsys.readouterr()
    for text in (failed.error, caplog.text, out.out, out.err):
        assert token not in text
    assert "channel ops failed" in caplog.text


def test_missing_variable_and_unreachable_channel(tmp_path: Path, token: str, monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_TEST_TOKEN")
    cfg = config(tmp_path, {"gone": {"url": "json://127.0.0.1:9/x/${NOTIFY_TEST_TOKEN}", "timeout": 1}})
    [missing] = publish(cfg, Event(EventKind.TEST, "t"))
    assert not missing.ok and missing.error == (
        "notifications.channels.gone: environment variable NOTIFY_TEST_TOKEN is not set (the url uses it)"
    )
    monkeypatch.setenv("NOTIFY_TEST_TOKEN", token)
    unreachable = send_to(cfg, "gone", Event(EventKind.TEST, "t"))
    assert not unreachable.ok and unreachable.error and token not in unreachable.error


def test_routes_pick_channels_by_event_and_severity(tmp_path: Path) -> None:
    url = {"url": "json://127.0.0.1:9/x"}
    cfg = config(
        tmp_path,
        {"pager": url, "chat": url, "mail": url},
        [
            {"events": ["run.finished", "incident.*"], "min_severity": "high", "channels": ["pager", "chat"]},
            {"events": ["*"], "channels": ["chat", "mail"]},
            {"events": ["maintenance.notice"], "channels": ["pager"]},
        ],
    )
    pick = lambda kind, sev: channels_for(cfg, Event(kind, "t", severity=sev))  # noqa: E731
    assert pick(EventKind.INCIDENT_OPENED, EventSeverity.CRITICAL) == ["pager", "chat", "mail"]
    assert pick(EventKind.RUN_FINISHED, EventSeverity.MEDIUM) == ["chat", "mail"]
    assert pick(EventKind.MAINTENANCE_NOTICE, EventSeverity.INFO) == ["chat", "mail", "pager"]
    assert pick(EventKind.INCIDENT_RESOLVED, EventSeverity.INFO) == ["pager", "chat", "mail"]  # closes keys
    with pytest.raises(ValueError, match="sns.account: no account 'prod'"):
        arn = "arn:aws:sns:us-east-1:333333333333:maintenance-alerts"
        config(tmp_path, {"sns": {"sns": {"topic_arn": arn, "account": "prod"}}})
    with pytest.raises(ValueError, match="no event matches 'incdent.\\*'"):
        config(tmp_path, {"a": url}, [{"events": ["incdent.*"], "channels": ["a"]}])
    with pytest.raises(ValueError, match="no channel named 'b'"):
        config(tmp_path, {"a": url}, [{"channels": ["b"]}])


def test_mattermost_slack_shaped_webhook_reaches_loopback(tmp_path: Path, receiver: Receiver, token) -> None:
    """apprise's slack:// always posts to hooks.slack.com; mmost:// posts the same Slack-compatible
    `{"text": ...}` incoming-webhook body to a host we choose."""
    cfg = config(tmp_path, {"mm": {"url": f"mmost://127.0.0.1:{receiver.port}/${{NOTIFY_TEST_TOKEN}}"}})
    [d] = publish(cfg, Event(EventKind.MAINTENANCE_NOTICE, "maintenance at 02:00", body="2 h, prod"))
    assert d.ok, d.error
    [(path, body)] = receiver.posts
    assert path == f"/hooks/{token}" and "2 h, prod" in body["text"]


def test_an_event_naming_channels_reaches_them_besides_the_routes(tmp_path: Path) -> None:
    cfg = config(tmp_path, {"ops": {"url": "json://127.0.0.1:9/a"}, "users": {"url": "json://127.0.0.1:9/b"}},
                 routes=[{"events": ["run.finished"], "channels": ["ops"]}])  # fmt: skip
    notice = Event(
        EventKind.MAINTENANCE_NOTICE, "Scheduled maintenance", details={"channels": ["users", "gone"]}
    )
    assert channels_for(cfg, notice) == ["users"]
    assert channels_for(cfg, Event(EventKind.MAINTENANCE_NOTICE, "x")) == []
