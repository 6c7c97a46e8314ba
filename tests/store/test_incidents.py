"""Incidents in the store (both backends): ids, checklist ticks, notes, updates, listing by month; the audit
trail's incident column (migration 0006) and the monthly summary's incident counts and mean times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.core.errors import InputError, NotFound
from opsbook.reports import monthly
from opsbook.store import incidents, plans, summary
from opsbook.store.db import open_store

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_round_trip_checklist_notes_and_month(store_url: str) -> None:
    store = open_store(store_url)
    try:
        day = T0 + timedelta(days=int(datetime.now(UTC).timestamp()) % 20)  # postgres is shared: own day
        before = len(incidents.list_incidents(store, start=day, end=day + timedelta(days=1)))
        first = incidents.create(store, title="API 5xx", severity="SEV2", commander="ana",
                                 targets=["k8s:my-cluster", "aws:prod/*"], opened_at=day,
                                 detected_at=day - timedelta(minutes=30))  # fmt: skip
        second = incidents.create(store, title="slow DB", severity="SEV4", commander="bo", targets=[],
                                  opened_at=day + timedelta(hours=1))  # fmt: skip
        assert first == f"INC-{day:%Y%m%d}-{before + 1:03d}" and second.endswith(f"-{before + 2:03d}")

        assert incidents.set_step(
            store, incident_id=first, number=5, done=True, who="ana", note="logs", at=day
        )
        assert not incidents.set_step(store, incident_id=first, number=5, done=True, who="bo")  # already
        incidents.add_note(
            store, incident_id=first, who="bo", text="rolled back", at=day + timedelta(minutes=5)
        )
        changed = incidents.update(store, incident_id=first, severity="SEV1", commander="ana")
        assert changed == {"severity": ("SEV2", "SEV1")}
        incidents.update(store, incident_id=first, status="resolved", resolved_at=day + timedelta(hours=2))

        got = incidents.get(store, incident_id=first)
        assert (got.severity, got.status, got.targets) == (
            "SEV1",
            "resolved",
            ("k8s:my-cluster", "aws:prod/*"),
        )
        assert [(s.number, s.done_by, s.note) for s in got.steps if s.done_at] == [(5, "ana", "logs")]
        assert len(got.steps) == 10 and got.steps[0].title == "Identify and assess the issue"
        assert [(n.who, n.text) for n in got.notes] == [("bo", "rolled back")]
        d = got.as_dict()
        assert d["time_to_detect_minutes"] == 30.0 and d["time_to_resolve_minutes"] == 150.0

        assert incidents.set_step(store, incident_id=first, number=5, done=False, who="ana")
        assert not any(s.done_at for s in incidents.get(store, incident_id=first).steps)
        listed = incidents.list_incidents(store, status="resolved", start=day, end=day + timedelta(days=1))
        assert first in [i.id for i in listed] and second not in [i.id for i in listed]
    finally:
        store.close()


def test_bad_input_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path}/i.db")
    try:
        with pytest.raises(InputError, match="--severity 'SEV5'"):
            incidents.create(store, title="x", severity="SEV5", commander="a", targets=[])
        with pytest.raises(InputError, match="--detected"):
            incidents.create(store, title="x", severity="SEV3", commander="a", targets=[], opened_at=T0,
                             detected_at=T0 + timedelta(minutes=1))  # fmt: skip
        inc = incidents.create(store, title="x", severity="SEV3", commander="a", targets=[])
        with pytest.raises(InputError, match="steps 1..10"):
            incidents.set_step(store, incident_id=inc, number=11, done=True, who="a")
        with pytest.raises(NotFound, match="INC-nope"):
            incidents.add_note(store, incident_id="INC-nope", who="a", text="t")
        assert (
            incidents.list_incidents(store) and not incidents.get(store, incident_id=inc).notes
        )  # nothing half-written
    finally:
        store.close()


def test_audit_rows_carry_the_incident(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path}/a.db")
    try:
        common = dict(who="u", host="h", procedure="scale-nodegroup", apply_id="a1", resource="r", action="x")
        plans.audit(store, plan_hash="sha256:1", result="done", incident="INC-20261103-001", **common)
        plans.audit(store, plan_hash="sha256:2", result="done", **common)
        rows = plans.list_audit(store, incident="INC-20261103-001")
        assert [(r["plan_hash"], r["incident"]) for r in rows] == [("sha256:1", "INC-20261103-001")]
        assert [r["incident"] for r in plans.list_audit(store)] == ["INC-20261103-001", None]
    finally:
        store.close()


def test_monthly_summary_counts_incidents_with_mean_times(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path}/m.db")
    try:
        a = incidents.create(store, title="outage", severity="SEV1", commander="a", targets=[], opened_at=T0,
                             detected_at=T0 - timedelta(minutes=20))  # fmt: skip
        incidents.update(store, incident_id=a, status="resolved", resolved_at=T0 + timedelta(minutes=40))
        b = incidents.create(store, title="slow", severity="SEV3", commander="a", targets=[],
                             opened_at=T0 + timedelta(days=1))  # fmt: skip
        incidents.update(store, incident_id=b, status="resolved", resolved_at=T0 + timedelta(days=1, hours=2))
        incidents.create(store, title="next month", severity="SEV3", commander="a", targets=[],
                         opened_at=datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
        s = summary.monthly_summary(store, month="2026-11")
        assert [i["id"] for i in s["incidents"]] == [a, b]
        assert s["incident_stats"] == {
            "total": 2, "by_severity": {"SEV1": 1, "SEV3": 1}, "by_status": {"resolved": 2},
            "mean_time_to_detect_minutes": 20.0, "mean_time_to_resolve_minutes": 90.0,
        }  # fmt: skip
        md = monthly.render(s)
        assert "- 2 incidents (SEV1 1, SEV3 1)" in md and "- mean time to resolve (MTTR): 1.5 h" in md
        assert f"| {a} | SEV1 | outage | resolved | 20 min | 1.0 h |" in md
    finally:
        store.close()
