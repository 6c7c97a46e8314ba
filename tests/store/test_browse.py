"""The web app's store reads (store/browse.py) on SQLite and PostgreSQL: filtered findings, a finding's
history, the fail trend, plan states from the journal and audit, the audit trail newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.core.errors import NotFound
from opsbook.core.models import Status
from opsbook.store import browse, runs
from opsbook.store.db import open_store
from opsbook.store.plans import audit, journal_finish, journal_start, record_plan
from tests.store.test_store_backends import T, finding


def test_findings_history_and_trend(store_url: str) -> None:
    store = open_store(store_url)
    scope = f"daily-{datetime.now(UTC).timestamp()}"  # PostgreSQL's database lives for the session
    t0 = datetime(2026, 11, 27, 8, tzinfo=UTC)
    try:
        ids = []
        for i, fails in enumerate((["a"], ["a", "b", "c"])):
            rid = f"{scope}-{i}"
            ids.append(rid)
            runs.begin_run(store, run_id=rid, scope=scope, started_at=t0 + timedelta(days=i), targets=[T])
            fs = [finding(x, Status.FAIL) for x in fails] + [finding("ok", Status.PASS)]
            runs.record_target(store, run_id=rid, target=T, findings=fs, error=None, seconds=0.5)
            runs.finish_run(store, run_id=rid, status="complete", finished_at=t0 + timedelta(days=i, minutes=1),
                            api_calls={})  # fmt: skip
        assert browse.fail_trend(store, scope=scope) == [(ids[0], 1), (ids[1], 3)]
        assert browse.run_header(store, run_id=ids[1])["target_results"][0]["target"] == T.key
        fails = browse.findings(store, run_id=ids[1], status="fail")
        assert sorted(f["resource"]["id"] for f in fails) == ["a", "b", "c"]
        assert len(browse.findings(store, run_id=ids[1], check="rds.")) == 4
        assert browse.findings(store, run_id=ids[1], check="k8s.") == []
        assert browse.findings(store, run_id=ids[1], check="rds_instance") == []  # not a LIKE wildcard
        assert browse.findings(store, run_id=ids[1], check="%") == []
        assert browse.findings(store, run_id=ids[1], check_ids=[]) == []
        uid_b = next(f["uid"] for f in fails if f["resource"]["id"] == "b")
        assert [f["uid"] for f in browse.findings(store, run_id=ids[1], uids={uid_b})] == [uid_b]
        assert browse.findings(store, run_id=ids[1], target="aws:nope/us-east-1") == []
        uid_a = next(f["uid"] for f in fails if f["resource"]["id"] == "a")
        assert [h["run_id"] for h in browse.finding_history(store, uid=uid_a)] == [ids[1], ids[0]]
        assert browse.targets_of(store, run_id=ids[0]) == [T.key]
        listed = runs.list_runs(store, scope=scope)  # counted by one grouped query, per run
        assert [(r["run_id"], r["counts"]) for r in listed] == [(ids[1], {"fail": 3, "pass": 1}),
                                                            (ids[0], {"fail": 1, "pass": 1})]  # fmt: skip
        assert "findings" not in browse.run_header(store, run_id=ids[1])
        assert len(runs.get_run(store, run_id=ids[1])["findings"]) == 4
        assert runs.get_run(store, run_id=ids[1], findings=False)["target_results"][0]["target"] == T.key
        wildcard = f"{scope[:-1]}_-1"  # as a LIKE pattern it matches ids[1] alone; as text, no run
        with pytest.raises(NotFound):
            runs.get_run(store, run_id=wildcard)
    finally:
        store.close()


def test_plan_states_and_the_audit_trail(store_url: str) -> None:
    store = open_store(store_url)
    stamp, now = f"{datetime.now(UTC).timestamp():.6f}", datetime.now(UTC)
    try:
        plans = {}
        for name, ttl in (("pending", 1), ("waiting", 1), ("refused", 1), ("applied", 1), ("expired", -1)):
            plans[name] = f"sha256:{name}-{stamp}"
            record_plan(store, plan_hash=plans[name], procedure="cleanup", created_at=now,
                        expires_at=now + timedelta(hours=ttl), created_by="bob@h", content={"items": []})  # fmt: skip

        def row(
            plan: str, result: str, reason: str = "", who: str = "carol", item: str | None = None
        ) -> None:
            audit(store, who=who, host="h", procedure="cleanup", plan_hash=plans[plan], apply_id="a1",
                  resource="*", action="apply", result=result, reason=reason, item_id=item)  # fmt: skip

        row("waiting", "refused", "not approved: pass --yes")
        row("refused", "refused", "plan expired")
        journal_start(store, plan_hash=plans["applied"], item_id="001", resource="vol-1", action="delete",
                      apply_id="a1")  # fmt: skip
        assert browse.get_plan(store, plan_hash=plans["applied"])["state"] == "applying"
        journal_finish(store, plan_hash=plans["applied"], item_id="001", state="done")
        row("applied", "done", who=f"dave-{stamp}", item="001")
        states = {p["plan_hash"]: p["state"] for p in browse.list_plans(store)}
        assert {name: states[h] for name, h in plans.items()} == {
            "pending": "pending", "waiting": "pending", "refused": "refused", "applied": "applied",
            "expired": "expired",
        }  # fmt: skip
        assert set(states.values()) <= set(browse.PLAN_STATES)  # the web's state filter offers them all
        applied = browse.get_plan(store, plan_hash=plans["applied"])
        assert [j["state"] for j in applied["journal"]] == ["done"] and applied["content"] == {"items": []}
        mine = browse.audit_trail(store, plan_hash=f"sha256:refused-{stamp}"[:30])
        assert [a["reason"] for a in mine] == ["plan expired"]
        assert [a["result"] for a in browse.audit_trail(store, who=f"dave-{stamp}")] == ["done"]
        assert browse.audit_trail(store, who=f"dave-{stamp}", result="refused") == []
        assert browse.audit_trail(store, who=f"dave-{stamp}", since=now + timedelta(hours=1)) == []
    finally:
        store.close()
