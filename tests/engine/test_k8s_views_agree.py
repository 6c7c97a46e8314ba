"""`opsbook k8s top nodes` / `k8s unhealthy` and the daily checks answer each question by one rule: on the
sandbox's my-cluster they name the same nodes, pods and deployments."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Severity, Status
from opsbook.engine import k8s_views, service

pytestmark = pytest.mark.usefixtures("sandbox")

HEALTH = [
    "k8s.node_not_ready",
    "k8s.node_pressure",
    "k8s.node_unschedulable",
    "k8s.pod_not_running",
    "k8s.container_restarts",
    "k8s.deployment_unavailable",
    "k8s.deployment_rollout_stuck",
]


def failing(result: service.RunResult, *check_ids: str) -> set[str]:
    """What the checks fail (a FAIL at INFO severity is a report, not a problem: a rollout in progress)."""
    return {
        f.resource.id
        for f in result.findings
        if f.check_id in check_ids
        and f.status is Status.FAIL
        and f.severity is not Severity.INFO
        and f.resource
        and f.target.cluster == "my-cluster"
    }


def test_unhealthy_lists_what_the_daily_checks_fail(sandbox_config: Config) -> None:
    result = service.run(sandbox_config, service.RunRequest(check_ids=HEALTH, clusters=["my-cluster"]))
    rows = [r for r in k8s_views.unhealthy(sandbox_config, ["my-cluster"]) if r["cluster"] == "my-cluster"]
    view = {kind: {f"{r['namespace']}/{r['name']}".lstrip("/") for r in rows if r["kind"] == kind}
            for kind in ("Node", "Pod", "Deployment")}  # fmt: skip
    assert view["Node"] == failing(
        result, "k8s.node_not_ready", "k8s.node_pressure", "k8s.node_unschedulable"
    )
    assert view["Pod"] == failing(result, "k8s.pod_not_running", "k8s.container_restarts")
    assert "production/payments-5f7b9c8d4-m4pz8" in view["Pod"]  # Running 0/1, 27 restarts
    assert view["Deployment"] == failing(result, "k8s.deployment_unavailable", "k8s.deployment_rollout_stuck")
    assert failing(result, "k8s.deployment_rollout_stuck") == {"production/worker"}
    worker = next(r for r in rows if r["kind"] == "Deployment" and r["name"] == "worker")
    assert worker["detail"].startswith("rollout stuck: ProgressDeadlineExceeded")


def test_top_nodes_lists_every_node_the_usage_check_judges(sandbox_config: Config) -> None:
    result = service.run(
        sandbox_config, service.RunRequest(check_ids=["k8s.node_usage_high"], clusters=["my-cluster"])
    )
    judged = {f.resource.id: f for f in result.findings if f.resource and f.target.cluster == "my-cluster"}
    rows = {r["node"]: r for r in k8s_views.top_nodes(sandbox_config, ["my-cluster"])}
    assert set(rows) == set(judged) and len(rows) == 6
    unknown = {n for n, r in rows.items() if r["cpu_m"] is None}
    assert (
        unknown
        == {n for n, f in judged.items() if f.status is Status.SKIPPED}
        == {"ip-10-0-2-21.ec2.internal"}
    )
    for node, f in judged.items():
        if f.status is not Status.SKIPPED:
            assert (rows[node]["cpu_percent"], rows[node]["memory_percent"]) == (
                f.details["cpu_percent"],
                f.details["memory_percent"],
            )
