"""Typed views of what the upgrade pre-flight reads from a cluster (checks/upgrade/): the API server's
version, PodDisruptionBudgets, objects last applied with a removed API version, and the API server's
record of requests to deprecated APIs."""

from __future__ import annotations

from typing import Any

from opsbook.collect.k8s.models import Frozen


class ServerVersion(Frozen):
    git_version: str  # e.g. v1.32.1-eks-5d632ec
    major: str = ""
    minor: str = ""


class K8sPdb(Frozen):
    namespace: str
    name: str
    selector: dict[str, Any] | None = None  # spec.selector as served (None: selects no pods)
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    disruptions_allowed: int | None = None  # status; None: the disruption controller has not run yet
    expected_pods: int | None = None
    current_healthy: int | None = None
    desired_healthy: int | None = None
    applied_api_version: str | None = None  # apiVersion named by kubectl's last-applied annotation

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def rule(self) -> str:
        """`minAvailable 2` or `maxUnavailable 1`, as the budget says (neither set: maxUnavailable 0)."""
        if self.min_available is not None:
            return f"minAvailable {self.min_available}"
        return f"maxUnavailable {0 if self.max_unavailable is None else self.max_unavailable}"


class AppliedObject(Frozen):
    """An object whose `kubectl.kubernetes.io/last-applied-configuration` names a version in the removal
    table: the manifest it was applied from still says that version."""

    kind: str
    namespace: str | None = None
    name: str
    api_version: str  # as the annotation names it

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


class AppliedScan(Frozen):
    objects: tuple[AppliedObject, ...] = ()
    scanned: tuple[str, ...] = ()  # resources listed (`deployments.apps` ...)
    not_served: tuple[str, ...] = ()  # resources this cluster does not serve (404): nothing to find there
    looked_at: int = 0  # objects read


class DeprecatedRequest(Frozen):
    """One series of the API server's `apiserver_requested_deprecated_apis` gauge: some client requested
    this deprecated API since the server started."""

    group: str
    version: str
    resource: str
    subresource: str = ""
    removed_release: str = ""  # empty: no removal scheduled (e.g. a custom resource's deprecated version)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version
