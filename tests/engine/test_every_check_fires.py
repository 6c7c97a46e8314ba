"""DESIGN rule 3's meta-test, sandbox half: every registered check passes for one resource and fails for
another in the built-in sandbox, over one run of every calendar cadence (a new check without a sandbox
case fails). The upgrade pre-flight's checks (cadence `upgrade`, run on demand against a target version)
have their own: tests/engine/test_upgrade_check.py::test_every_upgrade_check_passes_and_fails."""

from __future__ import annotations

import pytest

from opsbook.core.checks import CHECKS
from opsbook.core.collectors import COLLECTORS, closure
from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.engine.selection import load_builtin
from opsbook.engine.upgrade_check import CADENCE as UPGRADE
from opsbook.providers.aws.actions import recorded_action

pytestmark = pytest.mark.usefixtures("sandbox")


def test_every_registered_check_passes_and_fails_in_the_sandbox(sandbox_config: Config) -> None:
    load_builtin()
    result = service.run(
        sandbox_config, service.RunRequest(scopes=["daily", "weekly", "monthly"], label="meta")
    )
    seen: dict[str, set[Status]] = {}
    for f in result.findings:
        seen.setdefault(f.check_id, set()).add(f.status)
    missing = {
        spec.id: sorted(s.value for s in seen.get(spec.id, set()))
        for spec in CHECKS
        if UPGRADE not in spec.cadence and not {Status.PASS, Status.FAIL} <= seen.get(spec.id, set())
    }
    assert not missing, f"checks without both a pass and a fail in the sandbox: {missing}"
    assert not result.failed_targets
    assert not [f for f in result.findings if f.status is Status.ERROR]
    assert_permissions_cover_every_call(result.collector_calls)
    # one listing per target per run, however many checks of however many cadences read it
    called = {op.split(":", 1)[-1] for calls in result.api_calls.values() for op in calls}
    assert called >= LISTINGS, f"listings named here but never called: {LISTINGS - called}"
    for target, calls in result.api_calls.items():
        repeated = {op: n for op, n in calls.items() if op.split(":", 1)[-1] in LISTINGS and n > 1}
        assert not repeated, f"{target} lists more than once: {repeated}"


def assert_permissions_cover_every_call(collector_calls: dict[str, dict[str, int]]) -> None:
    """Permissions derived, never drifting: every call a collector made is one of its own declared
    permissions, so a check's derived permissions (its collectors', transitively) cover what it runs."""
    assert collector_calls, "no call was attributed to a collector"
    for key, calls in collector_calls.items():
        spec = COLLECTORS.get(key)
        undeclared = sorted({recorded_action(c) for c in calls} - set(spec.permissions))
        assert not undeclared, f"collector {key} calls {undeclared} without declaring them"
    for check in CHECKS:
        granted = set(check.all_permissions())
        needed = {recorded_action(c) for s in closure(check.needs) for c in collector_calls.get(s.key, {})}
        assert needed <= granted, f"{check.id} lacks {sorted(needed - granted)}"


LISTINGS = {
    "DescribeAlarms",
    "DescribeDBInstances",
    "DescribeDBSnapshots",
    "DescribeVolumes",
    "DescribeSnapshots",
    "DescribeAddresses",
    "DescribeImages",
    "DescribeInstances",
    "DescribeSecurityGroups",
    "DescribeNetworkInterfaces",
    "DescribeLoadBalancers",
    "DescribeLogGroups",
    "ListClusters",
    "ListBuckets",
    "GetRestApis",
    "GetAnomalies",
    "ListSecrets",
    "ListCertificates",
    "ListDetectors",
    "DescribeComplianceByConfigRule",
    "GetAccountAuthorizationDetails",
    "list nodes",
    "list pods",
    "list deployments.apps",
    "list horizontalpodautoscalers.autoscaling",
}
