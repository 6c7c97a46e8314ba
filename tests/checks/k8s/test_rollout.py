"""k8s.deployment_rollout_stuck on hand-built deployments, and the generation fields from raw JSON."""

from __future__ import annotations

from opsbook.collect.k8s import convert
from opsbook.collect.k8s.models import Condition, K8sDeployment
from opsbook.core.models import Severity, Status
from tests.checks.helpers import by_status, run_check

CHECK = "k8s.deployment_rollout_stuck"


def dep(name: str, generation: int = 2, observed: int = 2, updated: int = 3, **kw: object) -> K8sDeployment:
    return K8sDeployment(namespace="production", name=name, replicas=3, ready=3, available=3, updated=updated,
                         generation=generation, observed_generation=observed, **kw)  # type: ignore[arg-type]  # fmt: skip


def progressing(status: str, reason: str, message: str = "") -> tuple[Condition, ...]:
    return (Condition(type="Progressing", status=status, reason=reason, message=message),)


def test_stuck_fails_in_progress_is_reported_complete_passes() -> None:
    deployments = [
        dep("done", conditions=progressing("True", "NewReplicaSetAvailable")),
        dep("unobserved", generation=5, observed=4),  # the controller has not acted on the new spec yet
        dep("rolling", updated=1, conditions=progressing("True", "ReplicaSetUpdated")),
        dep("stuck", updated=1, conditions=progressing("False", "ProgressDeadlineExceeded",
                                                       'ReplicaSet "stuck-1" has timed out progressing.')),
    ]  # fmt: skip
    got = {f.resource.name: f for f in run_check(CHECK, {"k8s.deployments": deployments}) if f.resource}
    assert got["done"].status is Status.PASS and got["done"].details["rollout"] == "complete"
    stuck = got["stuck"]
    assert (stuck.status, stuck.severity, stuck.details["rollout"]) == (Status.FAIL, Severity.HIGH, "stuck")
    assert "ProgressDeadlineExceeded, 1/3 replicas updated" in stuck.message and "timed out" in stuck.message
    for name in ("unobserved", "rolling"):
        f = got[name]
        assert (f.status, f.severity, f.details["rollout"]) == (Status.FAIL, Severity.INFO, "in progress")
    assert "generation 5 not yet observed (at 4)" in got["unobserved"].message
    # Progressing=False for another reason, all replicas updated and observed: not stuck by this rule
    other = dep("other", conditions=progressing("False", "SomethingElse"))
    assert by_status(run_check(CHECK, {"k8s.deployments": [other]}))[Status.PASS]


def test_convert_reads_generation_and_observed_generation() -> None:
    raw = {
        "metadata": {"name": "w", "namespace": "production", "generation": 7},
        "spec": {"replicas": 2},
        "status": {"observedGeneration": 6, "replicas": 2, "updatedReplicas": 2,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]},
    }  # fmt: skip
    d = convert.deployment(raw, [])
    assert (d.generation, d.observed_generation, d.rollout) == (7, 6, "in progress")
    d = convert.deployment({**raw, "metadata": {"name": "w", "namespace": "production"}}, [])
    assert d.generation is None and d.rollout == "complete"  # no generation to compare, all updated
