"""Every entry of the API removal table (collect/k8s/api_removals.yaml) against the official Deprecated
API Migration Guide, restated here from its sections (kubernetes/website,
content/en/docs/reference/using-api/deprecation-guide.md), and each entry found both ways the pre-flight
looks: an object last applied with it, and a client the API server saw requesting it."""

from __future__ import annotations

import pytest

from opsbook.collect.k8s import api_removals
from opsbook.collect.k8s.api_removals import ApiRemoval
from opsbook.collect.k8s.upgrade_models import AppliedObject, AppliedScan, DeprecatedRequest, ServerVersion
from opsbook.core.kube_versions import text
from opsbook.core.models import Severity, Status, Target, TargetKind
from tests.checks.helpers import by_status, run_check

GUIDE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
# removed in -> [(removed version, {kind: plural}, replacement, "available since" of the replacement)]
SECTIONS: dict[str, list[tuple[str, dict[str, str], str | None, str]]] = {
    "1.32": [("flowcontrol.apiserver.k8s.io/v1beta3", {"FlowSchema": "flowschemas",
              "PriorityLevelConfiguration": "prioritylevelconfigurations"}, "flowcontrol.apiserver.k8s.io/v1", "1.29")],
    "1.29": [("flowcontrol.apiserver.k8s.io/v1beta2", {"FlowSchema": "flowschemas",
              "PriorityLevelConfiguration": "prioritylevelconfigurations"}, "flowcontrol.apiserver.k8s.io/v1", "1.26")],
    "1.27": [("storage.k8s.io/v1beta1", {"CSIStorageCapacity": "csistoragecapacities"}, "storage.k8s.io/v1", "1.24")],
    "1.26": [("flowcontrol.apiserver.k8s.io/v1beta1", {"FlowSchema": "flowschemas",
              "PriorityLevelConfiguration": "prioritylevelconfigurations"}, "flowcontrol.apiserver.k8s.io/v1beta2", "1.23"),
             ("autoscaling/v2beta2", {"HorizontalPodAutoscaler": "horizontalpodautoscalers"}, "autoscaling/v2", "1.23")],
    "1.25": [("batch/v1beta1", {"CronJob": "cronjobs"}, "batch/v1", "1.21"),
             ("discovery.k8s.io/v1beta1", {"EndpointSlice": "endpointslices"}, "discovery.k8s.io/v1", "1.21"),
             ("events.k8s.io/v1beta1", {"Event": "events"}, "events.k8s.io/v1", "1.19"),
             ("autoscaling/v2beta1", {"HorizontalPodAutoscaler": "horizontalpodautoscalers"}, "autoscaling/v2", "1.23"),
             ("policy/v1beta1", {"PodDisruptionBudget": "poddisruptionbudgets"}, "policy/v1", "1.21"),
             ("policy/v1beta1", {"PodSecurityPolicy": "podsecuritypolicies"}, None, "1.21"),  # deprecated in 1.21
             ("node.k8s.io/v1beta1", {"RuntimeClass": "runtimeclasses"}, "node.k8s.io/v1", "1.20")],
    "1.22": [("admissionregistration.k8s.io/v1beta1", {"MutatingWebhookConfiguration": "mutatingwebhookconfigurations",
              "ValidatingWebhookConfiguration": "validatingwebhookconfigurations"}, "admissionregistration.k8s.io/v1", "1.16"),
             ("apiextensions.k8s.io/v1beta1", {"CustomResourceDefinition": "customresourcedefinitions"},
              "apiextensions.k8s.io/v1", "1.16"),
             ("apiregistration.k8s.io/v1beta1", {"APIService": "apiservices"}, "apiregistration.k8s.io/v1", "1.10"),
             ("authentication.k8s.io/v1beta1", {"TokenReview": "tokenreviews"}, "authentication.k8s.io/v1", "1.6"),
             ("authorization.k8s.io/v1beta1", {"LocalSubjectAccessReview": "localsubjectaccessreviews",
              "SelfSubjectAccessReview": "selfsubjectaccessreviews", "SubjectAccessReview": "subjectaccessreviews",
              "SelfSubjectRulesReview": "selfsubjectrulesreviews"}, "authorization.k8s.io/v1", "1.6"),
             ("certificates.k8s.io/v1beta1", {"CertificateSigningRequest": "certificatesigningrequests"},
              "certificates.k8s.io/v1", "1.19"),
             ("coordination.k8s.io/v1beta1", {"Lease": "leases"}, "coordination.k8s.io/v1", "1.14"),
             ("extensions/v1beta1", {"Ingress": "ingresses"}, "networking.k8s.io/v1", "1.19"),
             ("networking.k8s.io/v1beta1", {"Ingress": "ingresses", "IngressClass": "ingressclasses"},
              "networking.k8s.io/v1", "1.19"),
             ("rbac.authorization.k8s.io/v1beta1", {"ClusterRole": "clusterroles", "ClusterRoleBinding":
              "clusterrolebindings", "Role": "roles", "RoleBinding": "rolebindings"}, "rbac.authorization.k8s.io/v1", "1.8"),
             ("scheduling.k8s.io/v1beta1", {"PriorityClass": "priorityclasses"}, "scheduling.k8s.io/v1", "1.14"),
             # storage.k8s.io/v1: CSIDriver since 1.19, CSINode 1.17, StorageClass 1.6, VolumeAttachment 1.13
             ("storage.k8s.io/v1beta1", {"CSIDriver": "csidrivers"}, "storage.k8s.io/v1", "1.19"),
             ("storage.k8s.io/v1beta1", {"CSINode": "csinodes"}, "storage.k8s.io/v1", "1.17"),
             ("storage.k8s.io/v1beta1", {"StorageClass": "storageclasses"}, "storage.k8s.io/v1", "1.6"),
             ("storage.k8s.io/v1beta1", {"VolumeAttachment": "volumeattachments"}, "storage.k8s.io/v1", "1.13")],
    "1.16": [("extensions/v1beta1", {"NetworkPolicy": "networkpolicies"}, "networking.k8s.io/v1", "1.8"),
             ("extensions/v1beta1", {"DaemonSet": "daemonsets", "Deployment": "deployments",
              "ReplicaSet": "replicasets"}, "apps/v1", "1.9"),
             ("apps/v1beta2", {"DaemonSet": "daemonsets", "Deployment": "deployments", "StatefulSet": "statefulsets",
              "ReplicaSet": "replicasets"}, "apps/v1", "1.9"),
             ("apps/v1beta1", {"Deployment": "deployments", "StatefulSet": "statefulsets", "ReplicaSet": "replicasets"},
              "apps/v1", "1.9"),
             ("extensions/v1beta1", {"PodSecurityPolicy": "podsecuritypolicies"}, "policy/v1beta1", "1.10")],
}  # fmt: skip
CLAIMS = {
    (version, kind): (removed, plural, replacement, since)
    for removed, rows in SECTIONS.items()
    for version, kinds, replacement, since in rows
    for kind, plural in kinds.items()
}
ENTRIES = api_removals.removals()
K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")


def ids(entry: ApiRemoval) -> str:
    return f"{entry.api_version}:{entry.kind}"


def test_the_table_holds_every_removal_of_the_guide_once() -> None:
    keys = [(e.api_version, e.kind) for e in ENTRIES]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(CLAIMS)


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_entry_says_what_the_guide_says(entry: ApiRemoval) -> None:
    removed, plural, replacement, since = CLAIMS[(entry.api_version, entry.kind)]
    assert (entry.removed_in, entry.resource, entry.replacement, entry.deprecated_in) == (
        removed,
        plural,
        replacement,
        since,
    )
    anchor = entry.source.removeprefix(GUIDE + "#")
    assert anchor != entry.source and anchor.endswith("-v" + removed.replace(".", ""))
    assert entry.deprecated <= entry.removed


def versions_around(entry: ApiRemoval) -> tuple[str, str | None, str | None]:
    """(target at removal, target while only deprecated, target before deprecation), None where none."""
    removed, deprecated = entry.removed, entry.deprecated
    before_removal = (removed[0], removed[1] - 1)
    only_deprecated = text(before_removal) if before_removal >= deprecated else None
    before = text((deprecated[0], deprecated[1] - 1)) if deprecated[1] > 0 else None
    return text(removed), only_deprecated, before


def applied(entry: ApiRemoval, target: str) -> dict[Status, list]:  # type: ignore[type-arg]
    obj = AppliedObject(kind=entry.kind, namespace="default", name="x", api_version=entry.api_version)
    inv = {
        "k8s.version": ServerVersion(git_version=f"v{target}.0"),
        "k8s.applied_apis": AppliedScan(objects=(obj,)),
    }
    return by_status(run_check("upgrade.removed_api_objects", inv, {"target_version": target}, target=K8S))


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_entry_found_in_an_applied_manifest(entry: ApiRemoval) -> None:
    at_removal, only_deprecated, before = versions_around(entry)
    [blocker] = applied(entry, at_removal)[Status.FAIL]
    assert blocker.severity is Severity.HIGH and f"Kubernetes {entry.removed_in} removed" in blocker.message
    if only_deprecated:
        [warning] = applied(entry, only_deprecated)[Status.FAIL]
        assert warning.severity is Severity.MEDIUM
    if before:
        assert not applied(entry, before)[Status.FAIL]


@pytest.mark.parametrize("entry", ENTRIES, ids=ids)
def test_entry_found_in_the_api_servers_deprecated_requests(entry: ApiRemoval) -> None:
    at_removal, only_deprecated, _ = versions_around(entry)
    seen = DeprecatedRequest(group=entry.group, version=entry.version, resource=entry.resource)
    for target, severity in ((at_removal, Severity.HIGH), (only_deprecated, Severity.MEDIUM)):
        if target is None:
            continue
        inv = {
            "k8s.version": ServerVersion(git_version=f"v{target}.0"),
            "k8s.deprecated_api_requests": [seen],
        }
        [f] = by_status(
            run_check("upgrade.deprecated_api_requests", inv, {"target_version": target}, target=K8S)
        )[Status.FAIL]
        assert f.severity is severity, (target, f.message)


def test_objects_are_looked_for_where_their_kind_lives_now() -> None:
    scanned = set(api_removals.scanned())
    for entry in ENTRIES:
        now = api_removals.current(entry)
        if entry.scan and now:
            group, _, version = now.rpartition("/")
            assert (group, version, entry.resource) in scanned, entry
    flow = api_removals.find("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
    assert flow is not None and api_removals.current(flow) == "flowcontrol.apiserver.k8s.io/v1"  # via v1beta2
    psp = api_removals.find("extensions/v1beta1", "PodSecurityPolicy")
    assert psp is not None and api_removals.current(psp) is None  # its replacement was removed too
