"""Recording a target's findings: plain details are copied without a JSON round trip, the rows are written
with Core statements (no ORM bulk work per row), and a second write of a target still replaces the first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.store import db, runs
from opsbook.store.db import jsonable, open_store

T = Target(kind=TargetKind.AWS, account="dev", region="us-east-1")


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    TWO = 2


PLAIN: list[Any] = [
    {},
    {"n": 1, "x": 1.5, "ok": True, "none": None, "s": "é", "list": [1, "a", {"k": [None]}]},
    [1, 2, (3, 4)],
    "text",
    float("inf"),
]
ODD: list[Any] = [
    {"when": datetime(2026, 12, 2, tzinfo=UTC)},
    {1: "int key", None: "none key"},
    {"colour": Colour.RED, "level": Level.TWO},
    {"set": {1}},
]


def round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def test_plain_details_are_copied_without_a_json_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [round_trip(v) for v in PLAIN]

    def no_dumps(*_: Any, **__: Any) -> str:
        raise AssertionError("json.dumps called for a plain value")

    monkeypatch.setattr(db.json, "dumps", no_dumps)
    got = [jsonable(v) for v in PLAIN]
    assert got == expected
    # a copy, not the same dicts
    assert got[1] is not PLAIN[1] and got[1]["list"][2] is not PLAIN[1]["list"][2]


def test_other_values_are_what_the_json_round_trip_makes() -> None:
    for value in ODD:
        got = jsonable(value)
        assert got == round_trip(value) and json.dumps(got) == json.dumps(round_trip(value))
        assert [type(v) for v in got.values()] == [type(v) for v in round_trip(value).values()]
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError):  # json.dumps's own answer to a cycle
        jsonable(cycle)


def test_record_target_runs_no_orm_statement_and_a_second_write_replaces(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'o.db'}")
    orm_statements: list[str] = []

    def seen(state: Any) -> None:
        orm_statements.append(str(state.statement))

    event.listen(Session, "do_orm_execute", seen)
    try:
        started = datetime(2026, 12, 2, tzinfo=UTC)
        runs.begin_run(store, run_id="r1", scope="daily", started_at=started, targets=[T])
        orm_statements.clear()
        for rids in (["a", "b", "c"], ["b"]):
            fs = [
                Finding(
                    check_id="ec2.unattached_volumes",
                    status=Status.FAIL,
                    severity=Severity.HIGH,
                    target=T,
                    resource=Resource(id=r),
                    message=f"{r} unattached",
                    details={"size": 8, "tags": {"Name": r}},
                )
                for r in rids
            ]
            runs.record_target(store, run_id="r1", target=T, findings=fs, error=None, seconds=0.5)
        assert orm_statements == []
        got = runs.get_run(store, run_id="r1")
        assert [f["resource"]["id"] for f in got["findings"]] == ["b"]
        assert got["findings"][0]["details"] == {"size": 8, "tags": {"Name": "b"}}
        assert got["findings"][0]["target"]["account"] == "dev"
    finally:
        event.remove(Session, "do_orm_execute", seen)
        store.close()
