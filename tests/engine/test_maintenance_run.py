"""A run during an active maintenance window (session sandbox): findings on the window's targets are marked
expected in the result, the stored history and the JSON report; the others are not; the exit code is
unchanged; the same run sends a due reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from opsbook import notify
from opsbook.core.config import Config
from opsbook.core.events import MAINTENANCE_KEY, EventKind
from opsbook.core.models import Severity, Status
from opsbook.engine import maintenance, service
from opsbook.reports import model
from opsbook.store import maintenance as store_mw
from opsbook.store.db import open_store
from opsbook.store.models import FindingRow

pytestmark = pytest.mark.usefixtures("sandbox")


def test_findings_in_an_active_window_are_expected(
    sandbox_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: sent.append(event) or [])
    now = datetime.now(UTC)
    store = open_store(sandbox_config.storage.url)
    try:
        on = maintenance.schedule(sandbox_config, store, maintenance.ScheduleRequest(
            at=(now - timedelta(minutes=5)).isoformat(), duration="1h", targets=("account=dev",)), created_by="t")  # fmt: skip
        soon = maintenance.schedule(sandbox_config, store, maintenance.ScheduleRequest(
            at=(now + timedelta(minutes=30)).isoformat(), duration="1h", targets=("account=prod",)), created_by="t")  # fmt: skip
        cancelled = maintenance.schedule(sandbox_config, store, maintenance.ScheduleRequest(
            at=(now - timedelta(minutes=5)).isoformat(), duration="1h", targets=("account=prod",)), created_by="t")  # fmt: skip
        store_mw.set_status(store, window_id=cancelled.id, status="cancelled")
    finally:
        store.close()
    request = service.RunRequest(check_ids=["ec2.unattached_volumes"], accounts=["dev", "prod"])
    result = service.run(sandbox_config, request)

    dev = [f for f in result.findings if f.target.account == "dev"]
    prod = [f for f in result.findings if f.target.account == "prod"]
    assert [f for f in dev if f.status is Status.FAIL] and prod
    assert {f.details.get(MAINTENANCE_KEY) for f in dev} == {on.id}
    assert all(MAINTENANCE_KEY not in f.details for f in prod)
    assert result.exit_code(Severity.LOW) == 1  # still failures: expected, not hidden
    report = model.build(result, sandbox_config.run.fail_on).as_dict()
    assert {f.get("expected_in_window") for f in report["findings"] if f["target"]["account"] == "dev"} == {
        on.id
    }
    store = open_store(sandbox_config.storage.url)
    try:
        with store.session() as s:
            rows = s.scalars(select(FindingRow).where(FindingRow.run_id == result.run_id)).all()
        assert {r.details.get(MAINTENANCE_KEY) for r in rows if r.target["account"] == "dev"} == {on.id}
        assert store_mw.get_window(store, window_id=soon.id).reminder_sent_at is not None
    finally:
        store.close()
    reminders = [e for e in sent if e.kind is EventKind.MAINTENANCE_REMINDER]
    assert [e.ref for e in reminders] == [f"maintenance:{on.id}", f"maintenance:{soon.id}"]
