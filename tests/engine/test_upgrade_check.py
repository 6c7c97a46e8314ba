"""`check_upgrade` (engine/upgrade_check.py) against the session sandbox, one blocker class at a time:
found when the sandbox has it (made by tests/engine/upgrade_cases.py and undone), not found when it
does not. Findings are read from the live estate: the fake cluster's nodes and objects, EKS in moto, the
stacks tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Finding, Severity, Status
from opsbook.engine.upgrade_check import blockers, check_upgrade, unreadable, warnings
from opsbook.sandbox.estate import KUBERNETES_VERSION_SKEW
from tests.engine import upgrade_cases as cases

pytestmark = pytest.mark.usefixtures("sandbox")
CLUSTER = "my-cluster"


@pytest.fixture(scope="module")
def clean(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    """The pre-flight of the seeded sandbox, once for the module (every test undoes what it made)."""
    db = tmp_path_factory.mktemp("upgrade") / "opsbook.db"
    return check_upgrade(Config.model_validate(sandbox.config(f"sqlite:///{db}")), CLUSTER, cases.TO)


def of(findings: list[Finding], check_id: str, status: Status | None = None) -> dict[str, Finding]:
    return {
        (f.resource.id if f.resource else ""): f
        for f in findings
        if f.check_id == check_id and (status is None or f.status is status)
    }


def failing(findings: list[Finding], check_id: str) -> dict[str, Finding]:
    return of(findings, check_id, Status.FAIL)


def test_seed_is_ready_for_the_next_minor_and_only_for_it(
    clean: list[Finding], sandbox_config: Config
) -> None:
    found = clean
    assert not blockers(found) and not unreadable(found), blockers(found) + unreadable(found)
    # kube-proxy's builds follow the cluster's minor: it moves right after the control plane (a warning)
    [proxy] = warnings(found)
    assert proxy.resource is not None and proxy.resource.id == f"{CLUSTER}/kube-proxy"
    assert f"not offered for {cases.TO}: update it to" in proxy.message
    step = of(found, "upgrade.version_step")[CLUSTER]
    assert step.status is Status.PASS and step.details == {"current": cases.KUBERNETES_VERSION, "target": cases.TO,
                                                            "status": "ACTIVE"}  # fmt: skip
    assert {f.target.key for f in found} == {"aws:prod/us-east-1", f"k8s:{CLUSTER}"}  # no other cluster
    two_ahead = cases.text(cases.next_minor(cases.next_minor(cases.CURRENT)))
    skip = of(check_upgrade(sandbox_config, CLUSTER, two_ahead), "upgrade.version_step")[CLUSTER]
    assert skip in blockers([skip]) and f"{cases.TO} comes first" in skip.message


def test_skewed_node_group_and_kubelet_block(
    sandbox: Any, sandbox_config: Config, clean: list[Finding]
) -> None:
    with cases.skewed_versions(sandbox):
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    [group] = failing(found, "upgrade.nodegroup_skew").values()
    assert group.resource is not None and group.resource.id == f"{CLUSTER}/system"
    assert f"at {cases.TOO_OLD} would be 4 minor versions behind {cases.TO}" in group.message
    assert list(failing(found, "upgrade.kubelet_skew")) == [cases.SKEWED_NODE]
    assert not failing(clean, "upgrade.nodegroup_skew") and not failing(clean, "upgrade.kubelet_skew")
    assert len(of(clean, "upgrade.kubelet_skew", Status.PASS)) == 6  # every node of the fake cluster


def test_the_seeded_node_group_skew_on_dev_blocks(sandbox_config: Config) -> None:
    """estate.KUBERNETES_VERSION_SKEW: dev's `application` group was left behind its control plane."""
    [(group, version)] = KUBERNETES_VERSION_SKEW.items()
    account, name = group.split("/")
    found = check_upgrade(sandbox_config, CLUSTER, cases.TO, account=account)
    skewed = failing(found, "upgrade.nodegroup_skew")
    assert list(skewed) == [f"{CLUSTER}/{name}"]
    assert (
        f"is at {version}, the control plane at {cases.KUBERNETES_VERSION}"
        in skewed[f"{CLUSTER}/{name}"].message
    )


def test_object_applied_with_a_removed_api_blocks(sandbox: Any, sandbox_config: Config) -> None:
    with cases.removed_api_object(sandbox) as key:
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    blocker = failing(found, "upgrade.removed_api_objects")[key]
    assert blocker.severity is Severity.HIGH and blocker.details["replacement"] == "batch/v1"
    with cases.removed_api_object(sandbox, as_version="batch/v1"):  # a current manifest: nothing to find
        current = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    [passed] = of(current, "upgrade.removed_api_objects", Status.PASS).values()
    assert "cronjobs.batch" in passed.details["scanned"]


def test_client_of_a_deprecated_api_is_seen_in_the_api_servers_metrics(
    sandbox: Any, sandbox_config: Config, clean: list[Finding]
) -> None:
    with cases.deprecated_api_client(sandbox, sandbox_config) as resource:
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    assert list(failing(found, "upgrade.deprecated_api_requests")) == [
        resource
    ]  # v1 requests are not recorded
    warning = failing(found, "upgrade.deprecated_api_requests")[resource]
    assert warning.severity is Severity.MEDIUM and warning in warnings(found)  # a CRD version: no removal set
    assert not failing(clean, "upgrade.deprecated_api_requests")


def test_budget_that_allows_no_disruption_blocks_and_names_its_pods(
    sandbox: Any, sandbox_config: Config, clean: list[Finding]
) -> None:
    with cases.disruption_budgets(sandbox):
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    blocking = failing(found, "upgrade.pdb_blocks_drain")
    assert list(blocking) == ["production/payments"]
    pods = blocking["production/payments"].details["pods"]
    assert len(pods) == 3 and all(p.startswith("payments-") for p in pods)
    assert (
        of(found, "upgrade.pdb_blocks_drain", Status.PASS)["production/myapp"].details["disruptions_allowed"]
        == 1
    )
    after = of(clean, "upgrade.pdb_blocks_drain")
    assert list(after) == [""] and after[""].status is Status.PASS  # no budgets left


def test_unhealthy_node_group_and_no_room_for_the_surge_block(
    sandbox: Any, sandbox_config: Config, clean: list[Finding]
) -> None:
    with cases.unhealthy_nodegroup() as group, cases.vcpu_quota(sandbox, 4):
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    assert list(failing(found, "upgrade.nodegroup_health")) == [group]
    short = failing(found, "upgrade.surge_capacity")
    assert sorted(short) == [f"{CLUSTER}/application", f"{CLUSTER}/system"]
    assert "quota (L-1216C47A) leaves 0" in short[group].message
    assert not failing(clean, "upgrade.nodegroup_health") and not failing(clean, "upgrade.surge_capacity")


def test_stack_version_drift_blocks(sandbox_config: Config, tmp_path: Path, clean: list[Finding]) -> None:
    old = cases.text((cases.CURRENT[0], cases.CURRENT[1] - 1))
    found = check_upgrade(cases.drifted_stacks(sandbox_config, tmp_path, old), CLUSTER, cases.TO)
    [drift] = failing(found, "upgrade.stack_version").values()
    assert drift.resource is not None and drift.resource.id == f"{CLUSTER}/mycompany-prod-use1"
    assert f"sets kubernetes_version {old} (stacks/orgs/mycompany/prod/use1/eks.yaml:" in drift.message
    [same] = of(clean, "upgrade.stack_version").values()
    assert same.status is Status.PASS and same.details["where"].startswith("stacks/catalog/eks.yaml:")


def test_an_eks_cluster_without_kubernetes_access_gets_the_aws_half(sandbox_config: Config) -> None:
    found = check_upgrade(sandbox_config, CLUSTER, cases.TO, account="staging")
    step = of(found, "upgrade.version_step")[CLUSTER]
    assert step.status is Status.FAIL and "UPDATING" in step.message  # staging's update in progress
    assert "DEGRADED" in failing(found, "upgrade.nodegroup_health")[f"{CLUSTER}/application"].message
    # staging's coredns build is not offered for the target: EKS would hold the upgrade until it moves
    coredns = failing(found, "upgrade.addon_compat")[f"{CLUSTER}/coredns"]
    assert coredns.severity is Severity.HIGH and "before the control plane" in coredns.message
    assert coredns.details["move_to_before"] in coredns.details["compatible"]
    skipped = {f.check_id for f in found if f.status is Status.SKIPPED and f.target.key == f"k8s:{CLUSTER}"}
    assert skipped == {"upgrade.kubelet_skew", "upgrade.removed_api_objects", "upgrade.deprecated_api_requests",
                       "upgrade.pdb_blocks_drain"}  # fmt: skip


def test_bad_input_is_refused_before_anything_is_read(sandbox_config: Config) -> None:
    with pytest.raises(InputError, match=r"--to '1\.33\.1': expected a Kubernetes minor version"):
        check_upgrade(sandbox_config, CLUSTER, "1.33.1")
    with pytest.raises(InputError, match=r"--to '2\.0': expected a Kubernetes minor version"):
        check_upgrade(sandbox_config, CLUSTER, "2.0")  # no skew arithmetic across majors (was ValueError)
    with pytest.raises(NotFound, match="unknown cluster 'nope'"):
        check_upgrade(sandbox_config, "nope", cases.TO)
    with pytest.raises(InputError, match=f"cluster {CLUSTER} is in us-east-1, not us-west-2"):
        check_upgrade(sandbox_config, CLUSTER, cases.TO, region="us-west-2")  # was silently ignored


def test_an_eks_cluster_the_account_does_not_have_is_not_found(sandbox_config: Config) -> None:
    # the AWS checks only ever saw the region's other clusters: not "READY" with nothing checked
    with pytest.raises(NotFound, match="no EKS cluster nope in dev/us-east-1"):
        check_upgrade(sandbox_config, "nope", cases.TO, account="dev")


def test_unreachable_cluster_is_unreadable_not_clear(sandbox: Any, sandbox_config: Config) -> None:
    sandbox.kube.forbid("list", "poddisruptionbudgets", group="policy")
    try:
        found = check_upgrade(sandbox_config, CLUSTER, cases.TO)
    finally:
        sandbox.kube.allow_all()
    errors = {f.check_id for f in unreadable(found)}
    assert {"upgrade.pdb_blocks_drain", "upgrade.removed_api_objects"} <= errors  # both read the budgets
    assert "list poddisruptionbudgets.policy" in of(found, "upgrade.pdb_blocks_drain")[""].message


def test_every_upgrade_check_passes_and_fails(
    sandbox: Any, sandbox_config: Config, clean: list[Finding], tmp_path: Path
) -> None:
    """The `upgrade` cadence's half of DESIGN rule 3 (tests/engine/test_every_check_fires.py): every
    registered upgrade check passes on the seeded sandbox and fails once every case is made (a new
    upgrade check without a case here fails)."""
    from contextlib import ExitStack

    from opsbook.engine.upgrade_check import upgrade_checks

    seen: dict[str, set[Status]] = {}
    drifted = cases.drifted_stacks(sandbox_config, tmp_path, cases.TOO_OLD)
    with ExitStack() as stack:
        for case in (cases.skewed_versions(sandbox), cases.removed_api_object(sandbox), cases.disruption_budgets(sandbox),
                     cases.deprecated_api_client(sandbox, sandbox_config), cases.unhealthy_nodegroup(),
                     cases.vcpu_quota(sandbox, 4)):  # fmt: skip
            stack.enter_context(case)
        broken = check_upgrade(drifted, CLUSTER, cases.TO)
    for f in [*clean, *broken, *check_upgrade(sandbox_config, CLUSTER, cases.TO, account="staging")]:
        seen.setdefault(f.check_id, set()).add(f.status)
    missing = {
        s.id: sorted(seen.get(s.id, set()))
        for s in upgrade_checks()
        if not {Status.PASS, Status.FAIL} <= seen.get(s.id, set())
    }
    assert not missing, f"upgrade checks without both a pass and a fail on the sandbox: {missing}"
    assert not unreadable([*clean, *broken]), unreadable([*clean, *broken])


def test_upgrade_collectors_declare_what_they_call_and_list_once(sandbox_config: Config) -> None:
    """As the calendar's meta-test holds every other collector: each call is a declared permission (so
    `opsbook iam policy --cadence upgrade` is enough), and each listing happens once per target."""
    from opsbook.engine import service
    from opsbook.engine.upgrade_check import upgrade_checks
    from tests.engine.test_every_check_fires import assert_permissions_cover_every_call

    request = service.RunRequest(
        check_ids=[s.id for s in upgrade_checks()], accounts=["prod"], clusters=[CLUSTER]
    )
    result = service.run(sandbox_config, request, store_enabled=False)
    assert not result.failed_targets and not unreadable(result.findings)
    assert_permissions_cover_every_call(result.collector_calls)
    for target, calls in result.api_calls.items():
        listed = {
            op: n for op, n in calls.items() if op.split(":", 1)[1].startswith(("List", "list ")) and n > 1
        }
        assert not listed, f"{target} lists more than once: {listed}"
