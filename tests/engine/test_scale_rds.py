"""The RDS planners on the sandbox: what a plan shows (class, downtime Multi-AZ or not, list-price delta)
and every refusal at plan time, each one error naming what and where (exit 2; an unreachable account 3).
Planning reads only: the estate is unchanged afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import EXIT_TARGETS_FAILED, EXIT_USAGE, OpsbookError
from opsbook.engine.procedures import make_plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.aws.seed import RDS_BACKUPS_OFF, RDS_MULTI_AZ, RDS_STOPPED
from opsbook.sandbox.estate import DATABASE
from tests.procedures.rds_helpers import db, rds


def plan(cfg: Config, procedure: str, *accounts: str, **raw: Any) -> Any:
    return make_plan(cfg, procedure, raw, PlanRequest(accounts=accounts))


def refused(cfg: Config, procedure: str, *accounts: str, **raw: Any) -> tuple[int, str]:
    with pytest.raises(OpsbookError) as err:
        plan(cfg, procedure, *accounts, **raw)
    return err.value.exit_code, str(err.value)


def test_scale_rds_shows_the_change_its_downtime_and_cost(sandbox_config: Config, sandbox: Any) -> None:
    single = plan(sandbox_config, "scale-rds", "dev", db=DATABASE, instance_class="db.r5.2xlarge").items[0]
    assert (single.account, single.region, single.resource.id) == ("dev", "us-east-1", DATABASE)
    assert single.params == {
        "db": DATABASE,
        "class": "db.r5.2xlarge",
        "from": "db.r5.large",
        "apply_immediately": True,
    }
    assert "db.r5.large -> db.r5.2xlarge" in single.reason and "single-AZ" in single.reason
    # postgres list price: db.r5.large $0.25/h, db.r5.2xlarge $1.00/h, 730 h a month
    assert single.evidence["cost_delta_usd_month"] == 547.5 and single.saving_usd_month == -547.5
    assert single.wait is not None and single.wait.condition == "rds-class-applied"
    assert single.gate == ["rds.instance_not_available", "rds.cpu_high"]

    multi = plan(sandbox_config, "scale-rds", RDS_MULTI_AZ[0], db=DATABASE, instance_class="db.r5.2xlarge")
    assert "Multi-AZ" in multi.items[0].reason and "fails over" in multi.warnings[0]
    assert multi.items[0].evidence["cost_delta_usd_month"] == 1095.0  # a standby too: twice the price
    assert db(rds(sandbox))["DBInstanceClass"] == "db.r5.large"  # planning changed nothing


@pytest.mark.parametrize(
    ("accounts", "raw", "code", "words"),
    [
        (
            (),
            {"db": DATABASE, "instance_class": "db.r5.xlarge"},
            EXIT_USAGE,
            "exists in dev/us-east-1, staging",
        ),
        (
            ("dev",),
            {"db": "nope", "instance_class": "db.r5.xlarge"},
            EXIT_USAGE,
            "have: dev/us-east-1 my-database",
        ),
        (
            ("dev",),
            {"db": DATABASE, "instance_class": "db.z1d.large"},
            EXIT_USAGE,
            "db.z1d.large is not offered",
        ),
        (("dev",), {"db": DATABASE, "instance_class": "db.r5.large"}, EXIT_USAGE, "is already db.r5.large"),
        (
            ("dev",),
            {"db": DATABASE, "instance_class": "r5.large"},
            EXIT_USAGE,
            "--class 'r5.large': expected",
        ),
        (("dev",), {"db": "-bad-", "instance_class": "db.r5.large"}, EXIT_USAGE, "--db '-bad-'"),
        (
            (RDS_STOPPED[0],),
            {"db": RDS_STOPPED[1], "instance_class": "db.t3.large"},
            EXIT_USAGE,
            "is stopped",
        ),
        (("nowhere",), {"db": DATABASE, "instance_class": "db.r5.xlarge"}, EXIT_USAGE, "--account nowhere"),
    ],
)
def test_scale_rds_refuses(sandbox_config: Config, accounts: tuple[str, ...], raw: dict[str, Any], code: int,
                           words: str) -> None:  # fmt: skip
    got, message = refused(sandbox_config, "scale-rds", *accounts, **raw)
    assert (got, words in message, "\n" in message) == (code, True, False), message


def test_a_protected_account_or_an_unreachable_one_is_refused(sandbox_config: Config) -> None:
    accounts = [a.model_copy(update={"protected": a.name == "dev"}) for a in sandbox_config.accounts]
    protected = sandbox_config.model_copy(update={"accounts": accounts})
    code, message = refused(protected, "scale-rds", "dev", db=DATABASE, instance_class="db.r5.xlarge")
    assert code == EXIT_USAGE and "account dev is protected" in message
    aws = sandbox_config.aws.model_copy(update={"endpoint_url": "http://127.0.0.1:9", "max_attempts": 1})
    dead = sandbox_config.model_copy(update={"aws": aws})
    code, message = refused(dead, "scale-rds", "dev", db=DATABASE, instance_class="db.r5.xlarge")
    assert code == EXIT_TARGETS_FAILED and "dev" in message, message


def test_rds_read_replica_plans_the_replica_and_its_price(sandbox_config: Config) -> None:
    item = plan(sandbox_config, "rds-read-replica", "dev", source=DATABASE, name="my-database-replica").items[
        0
    ]
    assert item.params == {"source": DATABASE, "name": "my-database-replica", "class": None}
    assert item.evidence["cost_delta_usd_month"] == 182.5  # db.r5.large postgres, single-AZ: 0.25 x 730
    assert item.wait is not None and item.wait.condition == "rds-replica-replicating"


@pytest.mark.parametrize(
    ("accounts", "raw", "words"),
    [
        (("dev",), {"source": DATABASE, "name": DATABASE}, "my-database already exists in dev/us-east-1"),
        (RDS_BACKUPS_OFF, {"source": DATABASE, "name": "r1"}, "keeps no automated backups"),
        ((RDS_STOPPED[0],), {"source": RDS_STOPPED[1], "name": "r1"}, "is stopped, not available"),
        (
            ("dev",),
            {"source": DATABASE, "name": "r1", "instance_class": "db.z1d.large"},
            "not offered for a read",
        ),
        (("dev",), {"source": DATABASE, "name": "r--1"}, "--name 'r--1'"),
    ],
)
def test_rds_read_replica_refuses(sandbox_config: Config, accounts: tuple[str, ...], raw: dict[str, Any],
                                  words: str) -> None:  # fmt: skip
    code, message = refused(sandbox_config, "rds-read-replica", *accounts, **raw)
    assert code == EXIT_USAGE and words in message, message
