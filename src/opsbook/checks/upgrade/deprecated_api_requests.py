"""Pre-flight: clients still requesting deprecated APIs, as the API server records them
(`apiserver_requested_deprecated_apis` on /metrics): a removal at or before the target is a blocker (that
client breaks with the upgrade), a deprecation without one a warning."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, WARNING, api_server_versions
from opsbook.collect.k8s import api_removals
from opsbook.collect.k8s.upgrade_models import DeprecatedRequest
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, minor_of, text
from opsbook.core.models import Finding, Resource, Severity, TargetKind


@check(
    id="upgrade.deprecated_api_requests",
    title="Clients requesting APIs the target removes",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.version", "k8s.deprecated_api_requests"),
    settings=UpgradeTarget,
    remediation="kubectl get --raw /metrics | grep apiserver_requested_deprecated_apis; find the client "
    "(the audit log's k8s.io/deprecated annotation names it) and upgrade it to the replacement API",
)
def deprecated_api_requests(ctx: CheckContext) -> Iterable[Finding]:
    requests: list[DeprecatedRequest] = ctx["k8s.deprecated_api_requests"]
    found = api_server_versions(ctx)
    if isinstance(found, Finding):
        yield found
        return
    _, target = found
    for r in requests:
        entry = api_removals.find_resource(r.group, r.version, r.resource)
        removed = minor_of(r.removed_release) or (entry.removed if entry else None)
        where = r.resource + (f"/{r.subresource}" if r.subresource else "")
        res = Resource(id=f"{r.api_version}/{where}", type="APIResource", name=r.resource)
        replacement = entry.replacement if entry else None
        info = {"removed_release": text(removed) if removed else None, "replacement": replacement}
        what = f"a client requested {where} in {r.api_version}, deprecated"
        move = f": move it to {replacement}" if replacement else ""
        if removed is not None and removed <= target:
            yield ctx.failed(f"{what} and removed in {text(removed)}{move}", res, None, **info)
        else:
            when = f"removed in {text(removed)}" if removed else "no removal scheduled"
            yield ctx.failed(f"{what} ({when}){move}", res, WARNING, **info)
    if not requests:
        yield ctx.passed("no deprecated API requested since the API server started")
