"""The review runs' overview tables against the sandbox, their numbers read back from the sandbox's own APIs:
node groups and RDS storage from EKS and RDS, cost by service from Cost Explorer's GetCostAndUsage, the
forecast from GetCostForecast; passing rows are in every table, and every format shows them."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from opsbook.core.config import Config
from opsbook.engine import service
from opsbook.reports import markdown, model, overview, table
from opsbook.reports.formats import html
from opsbook.reports.overview import OverviewTable
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import ACCOUNTS


@pytest.fixture(scope="module")
def run(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[model.Report, date]:
    db = Path(tmp_path_factory.mktemp("overview")) / "opsbook.db"
    cfg = Config.model_validate(sandbox.config(f"sqlite:///{db}")).model_copy(update={"source": "(sandbox)"})
    # the checks the overview tables lift (those of the capacity, Thursday and Wednesday runs): one run
    wanted = sorted({c for spec in overview.registry().values() for c in spec.checks})
    result = service.run(cfg, service.RunRequest(check_ids=wanted))
    return model.build(result, cfg.run.fail_on), result.started_at.astimezone(UTC).date()


@pytest.fixture(scope="module")
def aws(sandbox: Any) -> dict[str, Any]:
    """target key -> `client(service)` in that account."""
    return {f"aws:{a.name}/us-east-1": clients_for(sandbox.aws_url, a) for a in ACCOUNTS}


def tables(report: model.Report) -> dict[str, OverviewTable]:
    return {t.name: t for t in report.overview or []}


def test_capacity_tables_hold_what_eks_and_rds_report(
    run: tuple[model.Report, date], aws: dict[str, Any]
) -> None:
    t = tables(run[0])
    groups = t["capacity.nodegroups"]
    assert {r.status for r in groups.rows} == {"pass", "fail"} and len(groups.rows) == 6
    for r in groups.rows:
        cluster, name = r.resource.split("/")
        cfg = aws[r.target]("eks").describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        scaling = cfg["scalingConfig"]
        assert (r.values["desired"], r.values["max"]) == (scaling["desiredSize"], scaling["maxSize"]), r
        assert r.values["headroom_nodes"] == scaling["maxSize"] - scaling["desiredSize"]
    storage = t["capacity.rds_storage"]
    assert {r.status for r in storage.rows} == {"pass", "fail"}
    for r in storage.rows:
        (db,) = aws[r.target]("rds").describe_db_instances(DBInstanceIdentifier=r.resource)["DBInstances"]
        assert r.values["allocated_gb"] == db["AllocatedStorage"], r
        assert r.values["max_allocated_gb"] == db.get("MaxAllocatedStorage"), r
    buckets = {(r.target, r.resource): r for r in t["capacity.buckets"].rows}
    prod = buckets["aws:prod/us-east-1", "my-bucket-prod"]
    assert prod.status == "fail" and prod.values["size_gib"] > prod.values["month_ago_gib"]
    assert buckets["aws:dev/us-east-1", "my-bucket-dev"].status == "pass"


def test_pods_per_node_rows_hold_the_nodes_allocatable_pods(
    run: tuple[model.Report, date], sandbox: Any
) -> None:
    nodes = {n["metadata"]["name"]: n for n in sandbox.kube.store.list("nodes")}
    rows = tables(run[0])["capacity.pods_per_node"].rows
    assert rows and {r.resource.split("/")[-1] for r in rows} <= set(nodes)
    for r in rows:
        node = nodes[r.resource.split("/")[-1]]
        assert str(r.values["allocatable_pods"]) == node["status"]["allocatable"]["pods"], r


def test_forecast_rows_are_cost_explorers_forecast(
    run: tuple[model.Report, date], aws: dict[str, Any]
) -> None:
    report, today = run
    forecast = tables(report)["capacity.forecast"]
    first = today.replace(day=1)
    start = (first + timedelta(days=32)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    for r in forecast.rows:
        answer = aws[r.target]("ce").get_cost_forecast(
            TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
            Metric="BLENDED_COST",
            Granularity="MONTHLY",
        )
        assert r.values["forecast_next_month"] == round(float(answer["Total"]["Amount"]), 2), r
    assert forecast.totals and forecast.totals["forecast_next_month"] == round(
        sum(r.values["forecast_next_month"] for r in forecast.rows), 2
    )


def test_cost_rows_sum_to_what_cost_explorer_returns(
    run: tuple[model.Report, date], aws: dict[str, Any]
) -> None:
    report, today = run
    cost = tables(report)["cost.by_service"]
    assert {r.status for r in cost.rows} == {"pass", "fail"}
    by_target: dict[str, float] = defaultdict(float)
    for r in cost.rows:
        by_target[r.target] += r.values["unblended"]
        assert r.values["change"] == pytest.approx(
            r.values["unblended"] - r.values["previous_unblended"], abs=0.011
        )
    for key, make in aws.items():
        days = make("ce").get_cost_and_usage(
            TimePeriod={"Start": (today - timedelta(days=7)).isoformat(), "End": today.isoformat()},
            Granularity="MONTHLY",
            Metrics=["UnblendedCost"],
            GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
        )["ResultsByTime"]
        answered = sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for d in days for g in d["Groups"])
        assert by_target[key] == pytest.approx(answered, abs=0.05), key
    assert cost.totals is not None
    assert cost.totals["unblended"] == pytest.approx(sum(by_target.values()), abs=0.011)


def test_every_format_shows_the_review_tables_with_passing_rows(run: tuple[model.Report, date]) -> None:
    report = run[0]
    t = tables(report)
    assert set(t) == set(overview.registry())  # the sandbox fills every table
    latency = {(r.target, r.status) for r in t["performance.latency"].rows}
    assert ("aws:dev/us-east-1", "pass") in latency and ("aws:prod/us-east-1", "fail") in latency
    assert {r.status for r in t["performance.hpa"].rows} == {"pass", "fail"}
    text = markdown.render(report)
    page = html.render(report)
    console = Console(record=True, width=240)
    table.render(console, report)
    terminal = console.export_text()
    for tbl in t.values():
        assert f"## {tbl.title}" in text and f'data-overview="{tbl.name}"' in page and tbl.title in terminal
    assert "| pass | aws:dev/us-east-1 | my-cluster/system |" in text
    data = json.loads(json.dumps(report.as_dict(), default=str))
    assert [x["name"] for x in data["overview"]] == [x.name for x in report.overview or []]
