"""The generic plan engine without any cloud: plan hash/expiry, and apply over a fake item kind."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError, LimitExceeded, NotFound, PlanMismatch
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, open_store
from tests.procedures.fakes import CFG, NOW, Estate, make_plan, roundtrip


def test_plan_file_is_documented_json_with_items_hash_and_expiry(tmp_path: Path) -> None:
    plan = make_plan()
    data = json.loads(plans.dumps(plan))
    assert data["format"] == "opsbook.plan/v1" and len(data["items"]) == 3
    assert data["plan_hash"].startswith("sha256:") and len(data["plan_hash"]) == 71
    assert data["expires_at"] == "2026-11-28T08:00:00Z" and data["total_saving_usd_month"] == 4.5
    assert "@" in data["created_by"]
    loaded, raw = roundtrip(plan, tmp_path)
    plans.verify(loaded, raw, now=NOW + timedelta(hours=1))  # intact and fresh: accepted
    assert plans.content_hash(raw) == plan.plan_hash


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["items"][0]["resource"].update(id="thing-999"),
        lambda d: d["items"].append(dict(d["items"][0], id="004")),
        lambda d: d.update(expires_at="2030-01-01T00:00:00Z"),
        lambda d: d["items"][1]["evidence"].update(age_days=1),
    ],
)
def test_a_tampered_plan_is_refused(tmp_path: Path, edit: Any) -> None:
    data = json.loads(plans.dumps(make_plan()))
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    plan, raw = plans.load(path)
    with pytest.raises(PlanMismatch, match="altered"):
        plans.verify(plan, raw, now=NOW)


def test_an_expired_plan_is_refused(tmp_path: Path) -> None:
    plan, raw = roundtrip(make_plan(), tmp_path)
    with pytest.raises(PlanMismatch, match="expired"):
        plans.verify(plan, raw, now=NOW + timedelta(hours=24))
    with pytest.raises(InputError, match="not an opsbook plan"):
        (tmp_path / "x.json").write_text("{}", encoding="utf-8")
        plans.load(tmp_path / "x.json")


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path}/store.db")
    yield s  # type: ignore[misc]
    s.close()


def run(
    plan: plans.Plan, raw: dict[str, Any], store: Store, estate: Estate, **opts: Any
) -> applying.ApplyResult:
    return applying.apply_plan(
        plan,
        raw,
        cfg=CFG,
        store=store,
        clients_for=lambda item: lambda service: None,
        options=applying.ApplyOptions(**opts),
        approve=lambda todo: None,
        now=NOW,
        registry=estate.registry(),
    )


def results(store: Store, plan_hash: str) -> list[tuple[str | None, str]]:
    return [(r["item_id"], r["result"]) for r in store_plans.list_audit(store, plan_hash=plan_hash)]


def test_apply_acts_once_skips_changed_refuses_protected_and_is_idempotent(
    tmp_path: Path, store: Store
) -> None:
    estate = Estate(4)
    plan, raw = roundtrip(make_plan(4), tmp_path)
    estate.things["thing-2"]["state"] = "attached"  # changed between plan and apply
    estate.things["thing-3"]["tags"] = {"opsbook:keep": "true"}  # protected since the plan
    first = run(plan, raw, store, estate)
    assert [(o.item_id, o.result) for o in first.outcomes] == [
        ("001", "done"),
        ("002", "skipped"),
        ("003", "refused"),
        ("004", "done"),
    ]
    assert "attached" in first.outcomes[1].reason and "protect tag" in first.outcomes[2].reason
    second = run(plan, raw, store, estate)
    assert estate.acts == ["thing-1", "thing-4"]  # nothing acted twice
    assert [o.result for o in second.outcomes] == ["already-done", "skipped", "refused", "already-done"]
    audit = store_plans.list_audit(store, plan_hash=plan.plan_hash)
    assert len(audit) == 8 and all(r["who"] for r in audit) and all(r["host"] for r in audit)
    assert (
        audit[0]["resource"] == "thing-1"
        and audit[0]["action"] == "delete-thing"
        and audit[0]["account"] == "dev"
    )


def test_protected_account_is_refused(tmp_path: Path, store: Store) -> None:
    estate = Estate(1)
    plan, raw = roundtrip(make_plan(1, account="prod"), tmp_path)
    out = run(plan, raw, store, estate)
    assert [o.result for o in out.outcomes] == ["refused"] and "protected" in out.outcomes[0].reason
    assert estate.acts == []


def test_max_resources_only_and_refused_plans_are_audited(tmp_path: Path, store: Store) -> None:
    estate = Estate(3)
    plan, raw = roundtrip(make_plan(3), tmp_path)
    with pytest.raises(LimitExceeded):
        run(plan, raw, store, estate, max_resources=2)
    assert results(store, plan.plan_hash) == [(None, "refused")]
    with pytest.raises(NotFound):
        run(plan, raw, store, estate, only=["042"])
    out = run(plan, raw, store, estate, only=["002", "thing-3"], max_resources=2)
    assert estate.acts == ["thing-2", "thing-3"] and len(out.outcomes) == 2
    with pytest.raises(PlanMismatch):
        applying.apply_plan(
            plan,
            raw,
            cfg=CFG,
            store=store,
            clients_for=lambda i: lambda s: None,
            options=applying.ApplyOptions(),
            approve=lambda todo: None,
            now=NOW + timedelta(days=2),
            registry=estate.registry(),
        )
    assert results(store, plan.plan_hash)[-1] == (None, "refused")


def test_started_but_not_done_is_rechecked_before_anything_else(tmp_path: Path, store: Store) -> None:
    estate = Estate(3)
    plan, raw = roundtrip(make_plan(3), tmp_path)
    # a killed apply: thing-1 was deleted but the journal only says `started`; thing-2 started, never acted
    for item_id, thing in (("001", "thing-1"), ("002", "thing-2")):
        store_plans.journal_start(
            store,
            plan_hash=plan.plan_hash,
            item_id=item_id,
            resource=thing,
            action="delete-thing",
            apply_id="killed",
        )
    del estate.things["thing-1"]
    out = run(plan, raw, store, estate)
    assert [(o.item_id, o.result) for o in out.outcomes] == [
        ("001", "resumed"),
        ("002", "done"),
        ("003", "done"),
    ]
    assert estate.acts == ["thing-2", "thing-3"]
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert {k: v.state for k, v in journal.items()} == {"001": "done", "002": "done", "003": "done"}


def test_approval_rules() -> None:
    applying.require_approval(yes=True, interactive=False, confirm=lambda: False)
    with pytest.raises(InputError, match="--yes"):
        applying.require_approval(yes=False, interactive=False, confirm=lambda: True)
    with pytest.raises(InputError, match="not approved"):
        applying.require_approval(yes=False, interactive=True, confirm=lambda: False)
    applying.require_approval(yes=False, interactive=True, confirm=lambda: True)


def test_a_failed_recheck_or_act_is_recorded_as_one_line(tmp_path: Path, store: Store) -> None:
    """A Kubernetes API error's str() is several lines (status, headers, body): the step's record, the audit
    row and the journal carry its HTTP status and the API's message, one line."""
    from kubernetes.client.exceptions import ApiException

    from opsbook.core.registry import Registry
    from opsbook.procedures.kinds import ItemKind, Live, item_kind

    def gone(what: str) -> ApiException:
        exc = ApiException(status=404, reason="Not Found")
        exc.headers = {"Audit-Id": "x", "Content-Type": "application/json"}
        exc.body = json.dumps({"kind": "Status", "message": f'deployments.apps "{what}" not found'})
        return exc

    def recheck(item: plans.PlanItem, clients: Any) -> Live:
        if item.resource.id == "thing-1":
            raise gone("thing-1")
        return Live("eligible", "still idle")

    def act(item: plans.PlanItem, clients: Any) -> dict[str, Any]:
        raise gone(item.resource.id)

    reg: Registry[ItemKind] = Registry("test kinds")
    item_kind("thing", action="delete-thing", permissions=("x:DeleteThing",), recheck=recheck, act=act,
              registry=reg)  # fmt: skip
    plan, raw = roundtrip(make_plan(2), tmp_path)
    result = applying.apply_plan(plan, raw, cfg=CFG, store=store, clients_for=lambda item: lambda service: None,
                                 options=applying.ApplyOptions(), approve=lambda todo: None, now=NOW,
                                 registry=reg)  # fmt: skip
    reasons = [o.reason for o in result.outcomes]
    assert reasons == [
        're-check failed: ApiException: HTTP 404 Not Found: deployments.apps "thing-1" not found',
        'ApiException: HTTP 404 Not Found: deployments.apps "thing-2" not found',
    ]
    rows = store_plans.list_audit(store, plan_hash=plan.plan_hash)
    assert all("\n" not in r["reason"] and "Audit-Id" not in r["reason"] for r in rows)
