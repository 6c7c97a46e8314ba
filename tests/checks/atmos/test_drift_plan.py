"""`drift.terraform_plan` on hand-built plan results: each resource change is a failing finding with the
seam's details, a plan that could not run is ERROR, ignores skip drift until they expire."""

from __future__ import annotations

from datetime import date

from opsbook.collect.atmos.plan_drift import InstanceDrift
from opsbook.core.drift import Ignore
from opsbook.core.models import Status, Target, TargetKind
from tests.checks.helpers import NOW, by_status, run_check

STACKS = Target(kind=TargetKind.ATMOS, stack="stacks")
DEV = "mycompany-dev-use1"
RDS_FILE = "stacks/orgs/mycompany/dev/use1/rds.yaml"
DB_CHANGE = {"address": "terraform_data.db", "actions": ["update"],
             "diff": {"input.backup_retention_period": [1, 7], "input.deletion_protection": [False, True]}}  # fmt: skip
TAINTED = {"address": "terraform_data.db", "actions": ["delete", "create"], "diff": {},
           "reason": "replace_because_tainted"}  # fmt: skip


def run(found: list[InstanceDrift], ignores: list[Ignore] = ()) -> dict[Status, list]:  # type: ignore[assignment,type-arg]
    inventory = {"terraform.plan_drift": found, "drift.ignores": list(ignores)}
    return by_status(run_check("drift.terraform_plan", inventory, target=STACKS))


def test_each_change_is_drift_with_the_seam_details_and_clean_or_broken_instances_are_not() -> None:
    seen = run([
        InstanceDrift(stack=DEV, component="rds", file=RDS_FILE, changes=[DB_CHANGE]),
        InstanceDrift(stack="mycompany-staging-use1", component="rds/reporting", file="s.yaml", changes=[TAINTED]),
        InstanceDrift(stack=DEV, component="vpc", file="v.yaml"),
        InstanceDrift(stack=DEV, component="eks", file="e.yaml", error="Error acquiring the state lock"),
    ])  # fmt: skip
    rds, tainted = seen[Status.FAIL]
    assert rds.details == {
        "stack": DEV, "component": "rds", "file": RDS_FILE, "address": "terraform_data.db", "action": "update",
        "attributes": DB_CHANGE["diff"],
    }  # fmt: skip
    assert rds.resource.id == f"{DEV}/rds/terraform_data.db"
    assert "input.backup_retention_period 1 -> 7" in rds.message
    assert tainted.details["action"] == "delete/create" and "replace_because_tainted" in tainted.message
    assert [f.resource.id for f in seen[Status.PASS]] == [f"{DEV}/vpc"]
    (error,) = seen[Status.ERROR]
    assert "state lock" in error.message and error.details["component"] == "eks"


def ignore(attribute: str | None = None, until: date = date(2026, 12, 31)) -> Ignore:
    return Ignore(
        address="terraform_data.db", stack=DEV, attribute=attribute, until=until, reason="migration"
    )


def test_ignores_skip_drift_until_they_expire_attribute_by_attribute() -> None:
    found = [InstanceDrift(stack=DEV, component="rds", file=RDS_FILE, changes=[DB_CHANGE])]
    (skipped,) = run(found, [ignore()])[Status.SKIPPED]
    assert skipped.details["ignored"] == [{"until": "2026-12-31", "reason": "migration", "attribute": None}]
    assert "migration (until 2026-12-31)" in skipped.message
    # one attribute ignored: the other still drifts
    (left,) = run(found, [ignore("input.deletion_protection")])[Status.FAIL]
    assert left.details["attributes"] == {"input.backup_retention_period": [1, 7]}
    # both attributes ignored: the resource is ignored
    both = [ignore("input.deletion_protection"), ignore("input.backup_retention_period")]
    assert len(run(found, both)[Status.SKIPPED]) == 1
    # expired (the day before the check's now) or another stack: drift again
    expired = ignore(until=NOW.date().replace(day=NOW.day - 1))
    other = Ignore(address="terraform_data.db", stack="other", until=date(2026, 12, 31), reason="x")
    assert len(run(found, [expired, other])[Status.FAIL]) == 1
    assert len(run(found, [ignore(until=NOW.date())])[Status.SKIPPED]) == 1  # through its last day


def test_run_weekly_day_friday_selects_the_drift_checks() -> None:
    from opsbook.core.config import CalendarSettings
    from opsbook.engine import calendar
    from opsbook.engine.selection import select

    chosen = [s.id for s in select(calendar.weekly_scopes(CalendarSettings(), "friday"))]
    assert "drift.terraform_plan" in chosen and all(c.startswith("drift.") for c in chosen)
