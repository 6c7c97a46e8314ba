"""Prometheus metrics (reports/metrics.py) read back with prometheus_client's own parser, against sandbox runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from opsbook.core.models import Severity, Status
from opsbook.reports import metrics, model
from opsbook.sandbox.faults import FaultProxy
from opsbook.store.db import open_store
from tests.engine.faults import run, with_account
from tests.reports.sample import HOSTILE, run_result

parser = pytest.importorskip("prometheus_client.parser", reason="the tests need the 'dev' extra")

CHECKS = ["rds.instance_not_available", "k8s.node_not_ready"]  # an AWS and a Kubernetes target kind


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """metric name -> [(labels, value)], through prometheus_client (which refuses malformed exposition)."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in parser.text_string_to_metric_families(text):
        assert family.type == "gauge" and family.documentation, family.name
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def one(parsed: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    hits = [v for lab, v in parsed.get(name, []) if labels.items() <= lab.items()]
    assert len(hits) == 1, (name, labels, hits)
    return hits[0]


def test_label_values_with_quotes_backslashes_and_newlines_are_escaped() -> None:
    report = model.build(run_result(), Severity.HIGH)
    odd = 'daily "x" \\ y\nz'
    first = report.findings[0]
    target = first.target.model_copy(update={"key": f'aws:{HOSTILE}"\\\n'})
    findings = [first.model_copy(update={"check_id": 'c"\\\n', "target": target}), *report.findings[1:]]
    text = metrics.render_run(report.model_copy(update={"scope": odd, "findings": findings}))
    parsed = parse(text)
    assert one(parsed, "opsbook_findings", scope=odd, check='c"\\\n', target=target.key, status="fail") == 1
    assert "\nz" not in text and 'daily "x"' not in text  # escaped on the wire, whole again once parsed


def test_a_combined_scope_succeeding_is_a_success_of_each_part() -> None:
    """`run due` on a Monday is `daily+weekly:monday`: its file says daily succeeded too (the daily alert)."""
    result = run_result()
    result.scope = "daily+weekly:monday"
    result.outcomes = [o for o in result.outcomes if o.error is None]  # every target and check was read
    for o in result.outcomes:
        o.findings = [f for f in o.findings if f.status is not Status.ERROR]
    due = model.build(result, Severity.HIGH)
    parsed = parse(metrics.render_run(due))
    assert one(parsed, "opsbook_run_success", scope="daily+weekly:monday") == 1
    stamps = {lab["scope"]: v for lab, v in parsed["opsbook_last_success_timestamp_seconds"]}
    assert stamps == dict.fromkeys(
        ["daily", "weekly:monday", "daily+weekly:monday"], model_time(due.finished_at)
    )
    # a run that did not succeed gives no last success without a store (nothing to say when it was)
    report = model.build(run_result(), Severity.HIGH)
    assert "opsbook_last_success_timestamp_seconds" not in parse(metrics.render_run(report))


def test_metrics_of_sandbox_runs_agree_with_the_reports_and_the_store(sandbox_config) -> None:  # type: ignore[no-untyped-def]
    cfg = sandbox_config
    first = model.build(run(cfg, CHECKS), Severity.HIGH)
    assert first.exit_code != 3, first.targets
    store = open_store(cfg.storage.url)
    try:
        parsed = parse(metrics.render_run(first, store))
        # findings: per check x target x status, exactly the report's counts, zeros for the other statuses
        got: Counter[tuple[str, str, str]] = Counter()
        for lab, value in parsed["opsbook_findings"]:
            got[(lab["check"], lab["target"], lab["status"])] += int(value)
            assert lab["target_kind"] == lab["target"].split(":")[0]
        want = Counter((f.check_id, f.target.key, str(f.status)) for f in first.findings)
        assert +got == want and len(want) >= 2
        calls = sum(n for ops in first.stats.api_calls.values() for n in ops.values())
        assert sum(v for _, v in parsed["opsbook_api_calls"]) == calls > 0
        assert one(parsed, "opsbook_api_calls", service="rds", operation="DescribeDBInstances") >= 1
        assert one(parsed, "opsbook_run_exit_code", scope=first.scope) == first.exit_code
        assert one(parsed, "opsbook_run_targets", scope=first.scope) == len(first.targets)
        # bounded labels: no resource id, message or run id anywhere
        values = {v for name in parsed for lab, _ in parsed[name] for v in lab.values()}
        ids = {f.resource_id for f in first.findings if f.resource_id} | {f.message for f in first.findings}
        assert ids and not values & (ids | {first.run_id})
        done = one(parsed, "opsbook_last_success_timestamp_seconds", scope=first.scope)
        assert done == pytest.approx(model_time(first.finished_at), abs=0.01)
        # a run's file holds its own scope's last success only (one textfile per cron job, no duplicates)
        other = parse(metrics.render_run(first.model_copy(update={"scope": "weekly:monday"}), store))
        assert [lab["scope"] for lab, _ in other["opsbook_last_success_timestamp_seconds"]] == [
            "weekly:monday"
        ]

        # a failed run (dev's AWS endpoint answers garbage): its metrics say so, last success stays put
        with FaultProxy(mode="garbage") as proxy:
            failed = run(with_account(cfg, "dev", endpoint_url=proxy.url), CHECKS)
        assert model.build(failed, Severity.HIGH).exit_code == 3 and failed.scope == first.scope
        stored = parse(metrics.render_store(store))
        assert one(stored, "opsbook_last_success_timestamp_seconds", scope=first.scope) == done
        assert one(stored, "opsbook_run_success", scope=first.scope) == 0
        assert one(stored, "opsbook_run_targets_failed", scope=first.scope) == len(failed.failed_targets) > 0
        assert one(stored, "opsbook_target_failed", target="aws:dev/us-east-1") == 1
        assert "opsbook_run_exit_code" not in stored  # the store does not keep the threshold
        # the garbage answer to dev's AssumeRole is a call that got no usable answer: one error, kept in the store
        assert one(stored, "opsbook_api_errors", service="sts", operation="AssumeRole") == 1

        # a successful run again: last success moves to it; the store's view is that run's findings
        again = model.build(run(cfg, CHECKS), Severity.HIGH)
        stored = parse(metrics.render_store(store))
        moved = one(stored, "opsbook_last_success_timestamp_seconds", scope=first.scope)
        assert moved == pytest.approx(model_time(again.finished_at), abs=0.01) and moved > done
        assert sorted(stored["opsbook_findings"], key=repr) == sorted(
            parse(metrics.render_run(again))["opsbook_findings"], key=repr
        )
    finally:
        store.close()


def test_throttles_and_errors_are_counted_where_the_calls_are(sandbox_config) -> None:  # type: ignore[no-untyped-def]
    """Half of dev's RDS answers are RDS's own throttling error: each is one throttle; with 2 attempts a
    call throttled twice is one error. The proxy's own count is the truth."""
    cfg = sandbox_config.model_copy(
        update={"aws": sandbox_config.aws.model_copy(update={"max_attempts": 2, "retry_mode": "standard"})}
    )
    with FaultProxy(cfg.aws.endpoint_url, mode="throttle", rate=0.5, seed=3, only={"rds"}) as proxy:
        result = run(with_account(cfg, "dev", endpoint_url=proxy.url), ["rds.instance_not_available"])
    report = model.build(result, Severity.HIGH)
    parsed = parse(metrics.render_run(report))
    throttles = one(parsed, "opsbook_api_throttles", service="rds", operation="DescribeDBInstances")
    assert throttles == proxy.counts["throttle"] > 0
    # a call that ends in an error is one whose every attempt was throttled: the check could not read
    errors = one(parsed, "opsbook_api_errors", service="rds", operation="DescribeDBInstances")
    dev = [f for f in report.findings if f.target.key == "aws:dev/us-east-1"]
    assert errors == (report.stats.api_errors or {}).get("aws:dev/us-east-1", {}).get(
        "rds:DescribeDBInstances", 0
    )
    assert (errors > 0) == any(f.status == Status.ERROR for f in dev), (errors, [f.message for f in dev])
    # this seed throttles dev's one call once and its retry passes: a throttle, not an error
    assert (throttles, errors) == (1, 0), proxy.counts

    # every RDS answer throttled: each attempt is a throttle, the call is one error, the check an ERROR
    with FaultProxy(cfg.aws.endpoint_url, mode="throttle", rate=1.0, only={"rds"}) as proxy:
        result = run(with_account(cfg, "dev", endpoint_url=proxy.url), ["rds.instance_not_available"])
    report = model.build(result, Severity.HIGH)
    parsed = parse(metrics.render_run(report))
    throttles = one(parsed, "opsbook_api_throttles", service="rds", operation="DescribeDBInstances")
    errors = one(parsed, "opsbook_api_errors", service="rds", operation="DescribeDBInstances")
    assert (throttles, errors) == (proxy.counts["throttle"], 1) and throttles >= 2, proxy.counts
    dev = [f for f in report.findings if f.target.key == "aws:dev/us-east-1"]
    assert any(f.status == Status.ERROR for f in dev) and report.exit_code == 3


def model_time(iso: str | None) -> float:
    from datetime import datetime

    assert iso
    return datetime.fromisoformat(iso).timestamp()


def test_metrics_file_on_run_and_metrics_command(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from opsbook.cli.main import main

    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    args = ["--config", str(config), "run", "--check", "rds.instance_not_available", "-f", "json"]
    capsys.readouterr()
    assert main([*args, "--metrics-file", str(tmp_path / "nowhere" / "opsbook.prom")]) == 2
    assert "nowhere" in capsys.readouterr().err and not (tmp_path / "opsbook.db").exists()  # before the run

    prom = tmp_path / "textfile" / "opsbook.prom"
    prom.parent.mkdir()
    code = main([*args, "--metrics-file", str(prom)])
    import json

    report = json.loads(capsys.readouterr().out)
    parsed = parse(prom.read_text())
    assert one(parsed, "opsbook_run_exit_code", scope="check:rds.instance_not_available") == code
    fails = sum(1 for f in report["findings"] if f["status"] == "fail")
    assert sum(v for lab, v in parsed["opsbook_findings"] if lab["status"] == "fail") == fails
    assert [p.name for p in prom.parent.iterdir()] == ["opsbook.prom"]  # no temp file left beside it

    capsys.readouterr()
    assert main(["--config", str(config), "metrics"]) == 0
    stored = parse(capsys.readouterr().out)
    assert stored["opsbook_findings"] == parsed["opsbook_findings"]
    assert "opsbook_last_success_timestamp_seconds" in stored

    # a run whose store is broken exits 3 and still writes its metrics (without the store's last success)
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"garbage " * 1000)
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{broken}")), encoding="utf-8")
    assert main([*args, "--metrics-file", str(prom)]) == 3
    parsed = parse(prom.read_text())
    assert one(parsed, "opsbook_run_exit_code", scope="check:rds.instance_not_available") == 3
    assert one(parsed, "opsbook_run_success", scope="check:rds.instance_not_available") == 0
    assert "opsbook_last_success_timestamp_seconds" not in parsed and parsed["opsbook_findings"]
