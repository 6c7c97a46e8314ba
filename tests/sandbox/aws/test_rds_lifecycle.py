"""RDS in the sandbox takes time as on AWS (moto changes everything at once): a class change passes through
`modifying`, or waits in PendingModifiedValues without ApplyImmediately; a read replica is `creating`, then
`available` and replicating, and is refused where AWS refuses it; a deleted instance is `deleting` before it
is gone; DescribeOrderableDBInstanceOptions answers for PostgreSQL. All read back through real boto3."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from opsbook.sandbox.aws import rds_lifecycle
from opsbook.sandbox.aws.seed import RDS_BACKUPS_OFF, RDS_STOPPED, clients_for
from opsbook.sandbox.estate import DATABASE, account

SECONDS = 0.4


@pytest.fixture()
def quick() -> Iterator[None]:
    was = rds_lifecycle.configure(SECONDS)
    yield
    rds_lifecycle.configure(was)


def rds_in(sandbox: Any, name: str) -> Any:
    return clients_for(sandbox.aws_url, account(name))("rds")


def db(rds: Any, ident: str) -> dict[str, Any]:
    found: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    return found


def until(rds: Any, ident: str, status: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (now := db(rds, ident))["DBInstanceStatus"] != status and time.monotonic() < deadline:
        time.sleep(0.1)
    return now


def error_code(call: Any, **kw: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(**kw)
    return str(err.value.response["Error"]["Code"])


def test_a_class_change_passes_through_modifying(sandbox: Any, quick: None) -> None:
    rds = rds_in(sandbox, "dev")
    was = db(rds, DATABASE)["DBInstanceClass"]
    try:
        out = rds.modify_db_instance(DBInstanceIdentifier=DATABASE, DBInstanceClass="db.r5.xlarge",
                                     ApplyImmediately=True)["DBInstance"]  # fmt: skip
        assert (out["DBInstanceStatus"], out["DBInstanceClass"]) == ("modifying", was)
        assert out["PendingModifiedValues"] == {"DBInstanceClass": "db.r5.xlarge"}
        assert error_code(rds.modify_db_instance, DBInstanceIdentifier=DATABASE, DBInstanceClass="db.r5.large",
                          ApplyImmediately=True) == "InvalidDBInstanceState"  # fmt: skip
        done = until(rds, DATABASE, "available")
        assert done["DBInstanceClass"] == "db.r5.xlarge" and not done.get("PendingModifiedValues")
    finally:
        rds.modify_db_instance(DBInstanceIdentifier=DATABASE, DBInstanceClass=was, ApplyImmediately=True)
        assert until(rds, DATABASE, "available")["DBInstanceClass"] == was


def test_without_apply_immediately_the_class_waits_for_the_maintenance_window(
    sandbox: Any, quick: None
) -> None:
    rds = rds_in(sandbox, "dev")
    was = db(rds, DATABASE)["DBInstanceClass"]
    rds.modify_db_instance(
        DBInstanceIdentifier=DATABASE, DBInstanceClass="db.m5.large", ApplyImmediately=False
    )
    time.sleep(SECONDS * 2)
    pending = db(rds, DATABASE)
    assert (pending["DBInstanceStatus"], pending["DBInstanceClass"]) == ("available", was)
    assert pending["PendingModifiedValues"] == {"DBInstanceClass": "db.m5.large"}
    rds.modify_db_instance(DBInstanceIdentifier=DATABASE, DBInstanceClass=was, ApplyImmediately=False)
    assert not db(rds, DATABASE).get("PendingModifiedValues")


def test_a_read_replica_is_created_replicates_and_is_deleted(sandbox: Any, quick: None) -> None:
    rds = rds_in(sandbox, "dev")
    source = db(rds, DATABASE)
    made = rds.create_db_instance_read_replica(DBInstanceIdentifier="t-replica", SourceDBInstanceIdentifier=DATABASE,
                                               DBInstanceClass="db.r5.xlarge")["DBInstance"]  # fmt: skip
    try:
        assert made["DBInstanceStatus"] == "creating" and not made.get("StatusInfos")
        assert made["InstanceCreateTime"] > source["InstanceCreateTime"] and made["MultiAZ"] is False
        assert error_code(rds.create_db_instance_read_replica, DBInstanceIdentifier="t-replica",
                          SourceDBInstanceIdentifier=DATABASE) == "DBInstanceAlreadyExists"  # fmt: skip
        ready = until(rds, "t-replica", "available")
        assert ready["StatusInfos"] == [rds_lifecycle.REPLICATING]
        assert ready["ReadReplicaSourceDBInstanceIdentifier"] == DATABASE
        assert ready["DBInstanceClass"] == "db.r5.xlarge" and ready["TagList"] == []
        assert db(rds, DATABASE)["ReadReplicaDBInstanceIdentifiers"] == ["t-replica"]
        assert db(rds, DATABASE)["TagList"] == source["TagList"]  # the replica's tags are its own
    finally:
        rds.delete_db_instance(DBInstanceIdentifier="t-replica", SkipFinalSnapshot=True)
    assert db(rds, "t-replica")["DBInstanceStatus"] == "deleting"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ids = [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]]
        if "t-replica" not in ids:
            break
        time.sleep(0.1)
    assert "t-replica" not in ids and not db(rds, DATABASE)["ReadReplicaDBInstanceIdentifiers"]


def test_a_replica_needs_an_available_source_with_backups(sandbox: Any) -> None:
    backups_off = rds_in(sandbox, RDS_BACKUPS_OFF[0])
    assert error_code(backups_off.create_db_instance_read_replica, DBInstanceIdentifier="t-replica",
                      SourceDBInstanceIdentifier=DATABASE) == "InvalidDBInstanceState"  # fmt: skip
    stopped = rds_in(sandbox, RDS_STOPPED[0])
    assert error_code(stopped.create_db_instance_read_replica, DBInstanceIdentifier="t-replica",
                      SourceDBInstanceIdentifier=RDS_STOPPED[1]) == "InvalidDBInstanceState"  # fmt: skip
    for rds in (backups_off, stopped):
        assert "t-replica" not in [
            d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]
        ]


def test_orderable_options_answer_for_postgres(sandbox: Any) -> None:
    rds = rds_in(sandbox, "dev")
    engine = db(rds, DATABASE)
    ask = {"Engine": engine["Engine"], "EngineVersion": engine["EngineVersion"]}
    offered = rds.describe_orderable_db_instance_options(DBInstanceClass="db.r5.2xlarge", **ask)
    assert [o["DBInstanceClass"] for o in offered["OrderableDBInstanceOptions"]] == ["db.r5.2xlarge"]
    assert offered["OrderableDBInstanceOptions"][0]["MultiAZCapable"] is True
    assert not rds.describe_orderable_db_instance_options(DBInstanceClass="db.z1d.large", **ask)[
        "OrderableDBInstanceOptions"
    ]
    pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(
        PaginationConfig={"PageSize": 20}, **ask
    )
    classes = [o["DBInstanceClass"] for p in pages for o in p["OrderableDBInstanceOptions"]]
    assert len(classes) == len(set(classes)) > 40 and "db.t3.medium" in classes
