"""`remove-inactive-users` on the sandbox through the plan engine, every effect read back through boto3:
the plan picks prod's carol (not bob, who signed in yesterday, nor the protected break-glass); apply
deactivates her keys first, then removes everything IAM requires and deletes her (NoSuchEntity); a user
active since the plan is skipped while the others go on; re-running apply changes nothing; a rollback
re-activates keys while they exist and reports what cannot be restored. carol is put back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError, TargetFailed
from opsbook.engine.procedures import make_plan
from opsbook.procedures.plan import Plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.aws import backdate
from tests.procedures.iam_helpers import PROD, exists, restoring_carol
from tests.procedures.rds_helpers import apply, results

STEPS = [
    "deactivate-access-keys",
    "delete-login-profile",
    "remove-from-groups",
    "delete-inline-policies",
    "detach-managed-policies",
    "delete-mfa-devices",
    "delete-other-credentials",
    "delete-access-keys",
    "delete-user",
]


@pytest.fixture()
def iam(sandbox: Any) -> Iterator[Any]:
    yield from restoring_carol(sandbox)


def plan(cfg: Any, **raw: Any) -> Plan:
    return make_plan(cfg, "remove-inactive-users", raw, PlanRequest(accounts=("prod",)))


def key_states(iam: Any, name: str) -> list[str]:
    return [k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def test_plan_picks_the_inactive_user_only_in_iams_order(sandbox_config: Any, iam: Any) -> None:
    made = plan(sandbox_config, inactive_days=90)
    assert {i.params["user"] for i in made.items} == {"carol"}
    assert [i.action for i in made.items] == STEPS  # carol has one of each
    assert [i.depends_on for i in made.items[1:]] == [[i.id] for i in made.items[:-1]]
    assert {e["resource"]["name"] for e in made.excluded} == {"break-glass"}  # tagged opsbook:protected=true
    assert made.items[-1].gate == ["iam.inactive_users"] and "cannot be fully undone" in made.warnings[0]
    by_action = {i.action: i for i in made.items}
    assert by_action["remove-from-groups"].params["planned"] == ["contractors"]
    assert by_action["delete-inline-policies"].params["planned"] == ["read-reports"]
    assert by_action["delete-other-credentials"].params["planned"][0].startswith("ssh:")
    assert exists(iam, "carol") and key_states(iam, "carol") == ["Active"]  # planning changed nothing
    # a config list protects too; a longer threshold picks nobody; bad input is refused
    listed = sandbox_config.model_copy(update={"access": sandbox_config.access.model_copy(
        update={"protected_users": ["carol"]})})  # fmt: skip
    kept = plan(listed)
    assert kept.items == [] and {e["resource"]["name"] for e in kept.excluded} == {"carol", "break-glass"}
    assert plan(sandbox_config, inactive_days=365).items == []
    with pytest.raises(InputError, match="--inactive-days"):
        plan(sandbox_config, inactive_days=0)
    with pytest.raises(InputError, match="--user bob: not inactive"):
        plan(sandbox_config, user=["bob"])
    with pytest.raises(InputError, match="--user nobody: no such IAM user"):
        plan(sandbox_config, user=["nobody"])
    with pytest.raises(InputError, match="--user break-glass: protected, never removed"):
        plan(sandbox_config, user=["break-glass"])
    with pytest.raises(
        InputError, match=r"--user carol: protected, never removed \(account prod is protected"
    ):
        plan(sandbox_config.model_copy(update={"accounts": [
            a.model_copy(update={"protected": a.name == "prod"}) for a in sandbox_config.accounts]}), user=["carol"])  # fmt: skip


def test_apply_removes_carol_skips_a_user_active_since_the_plan_and_reruns_as_a_no_op(
    sandbox_config: Any, iam: Any, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    iam.create_user(UserName="erin")
    iam.create_access_key(UserName="erin")
    backdate.iam_user(PROD.id, "erin", now - timedelta(days=400))
    backdate.iam_access_keys(PROD.id, "erin", now - timedelta(days=300))
    made = plan(sandbox_config, user=["carol", "erin"])
    assert [i.params["user"] for i in made.items].count("erin") == 3  # keys off, keys deleted, user
    backdate.iam_user_used(PROD.id, "erin", None, now)  # erin's key is used after the plan

    out = apply(sandbox_config, made, tmp_path)
    got = {(o.item_id, o.result) for o in out.outcomes}
    carol = [i.id for i in made.items if i.params["user"] == "carol"]
    erin = [i.id for i in made.items if i.params["user"] == "erin"]
    assert {(i, "done") for i in carol} <= got
    assert (erin[0], "skipped") in got and {(i, "not-run") for i in erin[1:]} <= got
    skipped = next(o for o in out.outcomes if o.item_id == erin[0])
    assert "active since the plan" in skipped.reason
    assert not exists(iam, "carol")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="carol")
    assert exists(iam, "erin") and key_states(iam, "erin") == ["Active"]  # untouched
    first = next(o for o in out.outcomes if o.item_id == carol[0])
    assert first.result == "done" and first.details["active_keys"]  # keys were deactivated first
    assert [o.item_id for o in out.outcomes if o.item_id in carol] == carol  # in IAM's order

    again = apply(sandbox_config, made, tmp_path)
    assert {o.result for o in again.outcomes if o.item_id in carol} == {"already-done"}


def test_rollback_reactivates_keys_and_reports_what_cannot_be_restored(
    sandbox_config: Any, iam: Any, tmp_path: Path
) -> None:
    made = plan(sandbox_config, user=["carol"])
    first_two = [made.items[0].id, made.items[1].id]
    assert results(apply(sandbox_config, made, tmp_path, only=first_two)) == ["done", "done"]
    assert key_states(iam, "carol") == ["Inactive"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="carol")
    back = apply(sandbox_config, made, tmp_path, rollback=True)
    assert key_states(iam, "carol") == ["Active"]
    login = next(o for o in back.outcomes if o.item_id == first_two[1])
    assert "console password" in login.reason  # irreversible, said so
    iam.create_login_profile(UserName="carol", Password="Sandbox-not-a-secret-3")  # as seeded


def test_an_account_that_cannot_be_read_ends_the_plan_with_exit_3_in_one_line(sandbox_config: Any) -> None:
    from tests.postgres import free_port

    dead = sandbox_config.model_copy(update={"aws": sandbox_config.aws.model_copy(
        update={"endpoint_url": f"http://127.0.0.1:{free_port()}", "max_attempts": 1})})  # fmt: skip
    with pytest.raises(TargetFailed) as caught:
        plan(dead)
    message = str(caught.value)
    assert caught.value.exit_code == 3 and "\n" not in message
    assert "aws:prod/us-east-1: target unavailable" in message and "unexpected" not in message, message
