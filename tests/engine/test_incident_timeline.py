"""engine/incidents.py and its timeline on a seeded store (no servers): opening publishes INCIDENT_OPENED
(and INCIDENT_TICKET) and ticks steps 2/3 only when a channel delivered; the timeline holds the runs,
findings that turned red/green and audit rows on the affected targets inside the window, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.events import EventKind, EventSeverity
from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.engine import incident_timeline, incidents
from opsbook.notify import Delivery
from opsbook.reports import postmortem
from opsbook.store import incidents as records
from opsbook.store import plans, runs
from opsbook.store.db import Store, open_store

K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")
OTHER = Target(kind=TargetKind.K8S, cluster="other")
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def record_run(store: Store, run_id: str, when: datetime, target: Target, failing: bool) -> None:
    status = Status.FAIL if failing else Status.PASS
    finding = Finding(check_id="k8s.node_not_ready", status=status, severity=Severity.HIGH, target=target,
                      resource=Resource(id="node-1"), message="node-1")  # fmt: skip
    runs.begin_run(store, run_id=run_id, scope="daily", started_at=when, targets=[target])
    runs.record_target(store, run_id=run_id, target=target, findings=[finding], error=None, seconds=1.0)
    runs.finish_run(
        store, run_id=run_id, status="complete", finished_at=when + timedelta(minutes=1), api_calls={}
    )


@pytest.fixture()
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every event published; the 'pager' channel delivers all but INCIDENT_TICKET."""
    events: list[Any] = []

    def publish(cfg: Any, event: Any, *, store: Any = None) -> list[Delivery]:
        events.append(event)
        if event.kind is EventKind.INCIDENT_TICKET:
            return [Delivery(channel="jira", ok=False, error="HTTP 500")]
        return [Delivery(channel="pager", ok=True)]

    monkeypatch.setattr("opsbook.notify.publish", publish)
    return events


def test_open_update_resolve_publish_and_tick(store: Store, sent: list[Any]) -> None:
    cfg = Config()
    targets = incidents.target_keys(
        clusters=["my-cluster"], accounts=["prod"], regions=[], services=["web/api"]
    )
    assert targets == ["k8s:my-cluster", "aws:prod/*", "service:web/api"]
    inc = incidents.open_incident(cfg, store, title="API 5xx", severity="SEV2", targets=targets, ticket=True)
    assert [(e.kind, e.severity, e.dedupe_key) for e in sent] == [
        (EventKind.INCIDENT_OPENED, EventSeverity.HIGH, f"incident:{inc.id}"),
        (EventKind.INCIDENT_TICKET, EventSeverity.HIGH, f"incident:{inc.id}:ticket"),
    ]
    assert sent[0].targets == tuple(targets) and sent[0].ref == inc.id
    done = {s.number: s.done_by for s in inc.steps if s.done_at}
    assert done == {1: incidents.who(), 2: "opsbook"}  # the ticket's channel failed: step 3 stays open
    assert "failed: jira (HTTP 500)" in inc.notes[-1].text

    incidents.update(cfg, store, inc.id, severity="SEV1")
    assert sent[-1].kind is EventKind.INCIDENT_UPDATED and sent[-1].severity is EventSeverity.CRITICAL
    incidents.update(cfg, store, inc.id, status="mitigated")  # status alone is not published
    assert len(sent) == 3
    done_inc = incidents.resolve(cfg, store, inc.id, summary="rolled back")
    assert done_inc.status == "resolved" and sent[-1].kind is EventKind.INCIDENT_RESOLVED
    incidents.resolve(cfg, store, inc.id)  # again: nothing changes, nothing sent
    assert len(sent) == 4
    assert incidents.update(cfg, store, inc.id, status="open") == {"status": ("resolved", "open")}
    reopened = records.get(store, incident_id=inc.id)  # the impact goes on: no resolve time, window open
    assert reopened.resolved_at is None and reopened.as_dict()["time_to_resolve_minutes"] is None
    assert incident_timeline.window(reopened, now=T0)[1] == T0
    assert incidents.resolve(cfg, store, inc.id).resolved_at is not None and len(sent) == 5
    with pytest.raises(Exception, match="--service 'api'"):
        incidents.target_keys(clusters=[], accounts=[], regions=[], services=["api"])


def test_timeline_reads_runs_findings_and_audit_of_the_window(store: Store, sent: list[Any]) -> None:
    record_run(store, "before", T0 - timedelta(hours=3), K8S, failing=False)
    record_run(store, "red", T0 + timedelta(minutes=5), K8S, failing=True)
    record_run(store, "elsewhere", T0 + timedelta(minutes=6), OTHER, failing=True)
    record_run(store, "green", T0 + timedelta(minutes=50), K8S, failing=False)
    inc_id = records.create(store, title="nodes down", severity="SEV2", commander="ana",
                            targets=["k8s:my-cluster"], opened_at=T0 + timedelta(minutes=1),
                            detected_at=T0)  # fmt: skip
    item = {"id": "001", "cluster": "my-cluster", "account": "prod", "region": "us-east-1",
            "resource": {"id": "my-cluster/application"}}  # fmt: skip
    plans.record_plan(store, plan_hash="sha256:aa", procedure="scale-nodegroup", created_at=T0, expires_at=T0,
                      created_by="ana", content={"items": [item]})  # fmt: skip
    audit = dict(who="ana", host="h", procedure="scale-nodegroup", apply_id="x", action="scale-nodegroup",
                 resource="my-cluster/application", item_id="001", result="done")  # fmt: skip
    plans.audit(store, plan_hash="sha256:aa", **audit)  # not run for the incident, but on its cluster
    plans.audit(store, plan_hash="sha256:bb", **audit | {"item_id": None, "resource": "*"}, incident=inc_id)
    plans.audit(
        store, plan_hash="sha256:cc", **audit | {"resource": "elsewhere"}
    )  # unrecorded plan, no target
    records.add_note(store, incident_id=inc_id, who="bo", text="paged DB team", at=T0 + timedelta(minutes=2))

    inc = records.get(store, incident_id=inc_id)
    # audit rows are stamped now: the window must reach them
    entries = incident_timeline.timeline(store, inc)
    by = {(e.source, e.text) for e in entries}
    assert ("run", "run daily started") in by and (
        "finding",
        "red: k8s.node_not_ready (high) on k8s:my-cluster",
    ) in by
    assert ("finding", "green: k8s.node_not_ready on k8s:my-cluster") in by
    assert ("run", "run daily complete: 1 failing on the affected targets") in by
    assert {e.ref for e in entries if e.source == "run"} == {"red", "green"}  # not `before`, not `elsewhere`
    assert sorted(e.ref for e in entries if e.source == "audit") == ["sha256:aa", "sha256:bb"]
    assert ("note", "bo: paged DB team") in by
    assert [e.at for e in entries] == sorted(e.at for e in entries)

    records.update(store, incident_id=inc_id, status="resolved", resolved_at=T0 + timedelta(minutes=55))
    closed = records.get(store, incident_id=inc_id)
    assert not [
        e for e in incident_timeline.timeline(store, closed) if e.source == "audit"
    ]  # after the window
    md = postmortem.render(closed, incident_timeline.timeline(store, closed))
    assert "- impact window: 2026-11-10 09:00:00Z .. 2026-11-10 09:55:00Z" in md
    assert "time to detect: 1 min; time to resolve: 55 min" in md
    assert "- 2026-11-10 09:05:00Z red: k8s.node_not_ready (high) on k8s:my-cluster" in md
    assert "## Root cause" in md and "## Preventive measures" in md


def test_notifications_about_the_affected_targets_are_on_the_timeline(store: Store) -> None:
    from opsbook.store.notifications import SentNotification, record

    inc_id = records.create(store, title="t", severity="SEV2", commander="me", targets=["k8s:my-cluster"],
                            detected_at=T0)  # fmt: skip
    incident = records.get(store, incident_id=inc_id)

    def sent_at(minutes: int, target: str, ref: str = "run-1") -> SentNotification:
        return SentNotification("run.finished", ref, "k", False, "ops", "high", True, False, None,
                                incident.started_at + timedelta(minutes=minutes), "daily: 2 new", (target,))  # fmt: skip

    record(store, sent_at(5, "k8s:my-cluster"))
    record(store, sent_at(6, "k8s:other"))  # another cluster
    record(store, sent_at(-5, "k8s:my-cluster"))  # before the impact began
    record(store, sent_at(7, "k8s:my-cluster", ref=inc_id))  # the incident's own: already a notify note
    entries = incident_timeline.notifications(store, incident)
    assert [e.text for e in entries] == ["run.finished to ops sent: daily: 2 new"]
    assert entries[0].at == incident.started_at + timedelta(minutes=5)
