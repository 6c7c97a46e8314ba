"""Wednesday performance and Thursday cost review checks on hand-built inventory (no servers)."""

from __future__ import annotations

from opsbook.collect.aws.models import CostAnomaly, DbInstance, RestApi
from opsbook.collect.aws.review_models import (
    ApiLatency,
    Ec2Instance,
    ReservationUtilization,
    ServiceCost,
    SlowLog,
    SlowStatement,
    Utilisation,
    WeeklyCost,
)
from opsbook.core.models import Status
from tests.checks.helpers import by_status, run_check

API = [
    RestApi(id="a1", name="fast-api"),
    RestApi(id="a2", name="slow-api"),
    RestApi(id="a3", name="quiet-api"),
]


def db(id: str, status: str = "available", engine: str = "postgres") -> DbInstance:
    return DbInstance(
        id=id,
        arn=f"arn:aws:rds:us-east-1:1:db:{id}",
        status=status,
        instance_class="db.r5.large",
        engine=engine,
    )


def test_api_latency_weekly_thresholds_and_percentiles_in_details() -> None:
    inv = {
        "apigateway.apis": API,
        "apigateway.latency_7d": {
            "fast-api": ApiLatency(
                average=120, maximum=900, p50=110, p95=300, daily_average=[120] * 7, days=7
            ),
            "slow-api": ApiLatency(average=1500, maximum=2600, p50=1400, p95=2500, days=7),
        },
    }
    out = by_status(run_check("apigateway.latency_weekly", inv))
    assert [f.resource.id for f in out[Status.PASS]] == ["fast-api"]
    assert [f.resource.id for f in out[Status.FAIL]] == ["slow-api"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["quiet-api"]  # no data is not a pass
    assert out[Status.FAIL][0].details["latency_p95_ms"] == 2500
    assert out[Status.PASS][0].details["latency_p50_ms"] == 110
    strict = by_status(
        run_check("apigateway.latency_weekly", inv, {"max_p95_ms": 200, "max_maximum_ms": 800})
    )
    assert {f.resource.id for f in strict[Status.FAIL]} == {"fast-api", "slow-api"}
    assert "p95 300 ms" in next(f.message for f in strict[Status.FAIL] if f.resource.id == "fast-api")


def test_slow_queries_fail_on_max_or_total_time() -> None:
    slow = SlowStatement(statement="SELECT * FROM orders WHERE id = ?", count=3, total_ms=21000, max_ms=9000)
    fast = SlowStatement(statement="SELECT ?", count=500, total_ms=50000, max_ms=150)
    inv = {
        "rds.instances": [db("a"), db("b"), db("c", engine="mysql"), db("d", engine="sqlserver-ex")],
        "rds.slow_queries_7d": {
            "a": SlowLog(engine="postgres", files=["error/postgresql.log.1"], entries=500, statements=[fast]),
            "b": SlowLog(
                engine="postgres", files=["error/postgresql.log.1"], entries=503, statements=[slow, fast]
            ),
            "c": SlowLog(engine="mysql", files=[], log_enabled=False),
        },
    }
    out = by_status(run_check("rds.slow_queries", inv))
    assert [f.resource.id for f in out[Status.PASS]] == ["a"]
    assert [f.resource.id for f in out[Status.FAIL]] == ["b"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["c"]
    assert out[Status.FAIL][0].details["top_statements"][0]["max_ms"] == 9000
    by_total = by_status(run_check("rds.slow_queries", inv, {"max_total_ms": 40000}))
    assert {f.resource.id for f in by_total[Status.FAIL]} == {"a", "b"}


def test_weekly_cost_by_service_week_over_week() -> None:
    cost = WeeklyCost(
        start="2026-11-20",
        end="2026-11-27",
        previous_start="2026-11-13",
        services=[
            ServiceCost(
                service="EC2",
                daily={"2026-11-26": 210.0},
                blended=1425.9,
                unblended=1470,
                previous_unblended=840,
            ),
            ServiceCost(service="RDS", unblended=560, previous_unblended=560),
            ServiceCost(service="Lambda", unblended=40, previous_unblended=10),  # +300 % but only +$30
            ServiceCost(service="Bedrock", unblended=120, previous_unblended=0),  # new this week
            ServiceCost(service="Tiny", unblended=0.2, previous_unblended=0.1),
        ],
    )
    out = by_status(run_check("ce.weekly_cost_by_service", {"ce.cost_by_service_14d": cost}))
    assert sorted(f.resource.id for f in out[Status.FAIL]) == ["Bedrock", "EC2"]
    assert sorted(f.resource.id for f in out[Status.PASS]) == ["Lambda", "RDS"]
    ec2 = next(f for f in out[Status.FAIL] if f.resource.id == "EC2")
    assert ec2.details["change_percent"] == 75.0 and ec2.details["daily_unblended"] == {"2026-11-26": 210.0}
    assert (
        run_check("ce.weekly_cost_by_service", {"ce.cost_by_service_14d": None}) == []
    )  # not the primary region


def test_underutilised_ec2_and_rds() -> None:
    instances = [
        Ec2Instance(id="i-busy", type="m5.large", state="running", name="web"),
        Ec2Instance(id="i-idle", type="m5.large", state="running", name="batch"),
        Ec2Instance(id="i-kept", type="m5.large", state="running", tags={"opsbook:keep": "true"}),
        Ec2Instance(id="i-stopped", type="m5.large", state="stopped"),
        Ec2Instance(id="i-new", type="t3.micro", state="running"),
    ]
    cpu = {
        "i-busy": Utilisation(cpu_avg=40, datapoints=7),
        "i-idle": Utilisation(cpu_avg=1.5, datapoints=7),
        "i-kept": Utilisation(cpu_avg=0.1),
    }
    out = by_status(run_check("ec2.underutilised_instances", {"ec2.instances": instances, "ec2.cpu_7d": cpu}))
    assert [f.resource.id for f in out[Status.FAIL]] == ["i-idle"]
    assert [f.resource.id for f in out[Status.PASS]] == ["i-busy"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["i-new"]

    used = {
        "busy": Utilisation(cpu_avg=40, connections_max=30),
        "idle-cpu": Utilisation(cpu_avg=2, connections_max=3),
        "no-conn": Utilisation(cpu_avg=20, connections_max=0),
    }
    dbs = [db("busy"), db("idle-cpu"), db("no-conn"), db("stopped", status="stopped")]
    out = by_status(
        run_check("rds.underutilised_instances", {"rds.instances": dbs, "rds.utilisation_7d": used})
    )
    assert sorted(f.resource.id for f in out[Status.FAIL]) == ["idle-cpu", "no-conn"]
    assert "connections" in next(f.message for f in out[Status.FAIL] if f.resource.id == "no-conn")
    assert [f.resource.id for f in out[Status.PASS]] == ["busy"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["stopped"]


def test_reservation_utilization() -> None:
    def one(ri: ReservationUtilization | None, **settings: float):  # type: ignore[no-untyped-def]
        return run_check("ce.reservation_utilization", {"ce.reservation_utilization_7d": ri}, settings)

    low = ReservationUtilization(utilization_percent=61.5, purchased_hours=336, unused_hours=129.4)
    [f] = one(low)
    assert f.status is Status.FAIL and "61.5%" in f.message and f.details["unused_hours"] == 129.4
    assert one(low, min_utilization_percent=60)[0].status is Status.PASS
    assert one(ReservationUtilization(has_reservations=False))[0].status is Status.PASS
    assert one(None) == []


def test_weekly_cost_anomalies() -> None:
    anomalies = [
        CostAnomaly(id="big", start="2026-11-24", total_impact=452.0, max_impact=200, service="EC2"),
        CostAnomaly(id="small", start="2026-11-25", total_impact=3.4, max_impact=3.4),
    ]
    out = by_status(run_check("ce.weekly_cost_anomalies", {"ce.anomalies_7d": anomalies}))
    assert [f.resource.id for f in out[Status.FAIL]] == ["big"]
    assert [f.resource.id for f in out[Status.PASS]] == ["small"]
    [none] = run_check("ce.weekly_cost_anomalies", {"ce.anomalies_7d": []})
    assert none.status is Status.PASS and "the last 7 days" in none.message
