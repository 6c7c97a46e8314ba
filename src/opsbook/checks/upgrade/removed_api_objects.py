"""Pre-flight: objects last applied (`kubectl apply`) with an API version the target no longer serves:
their manifests must move to the replacement before the next apply meets the upgraded cluster."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, WARNING, api_server_versions
from opsbook.collect.k8s import api_removals
from opsbook.collect.k8s.upgrade_models import AppliedScan
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, text
from opsbook.core.models import Finding, Resource, Severity, TargetKind


@check(
    id="upgrade.removed_api_objects",
    title="Objects applied with an API version the target removes",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.version", "k8s.applied_apis"),
    settings=UpgradeTarget,
    remediation="change the manifest's apiVersion to the replacement (kubectl convert -f <file> "
    "--output-version <replacement>) and apply it again; see the source URL in the finding",
)
def removed_api_objects(ctx: CheckContext) -> Iterable[Finding]:
    scan: AppliedScan = ctx["k8s.applied_apis"]
    found = api_server_versions(ctx)
    if isinstance(found, Finding):
        yield found
        return
    current, target = found
    flagged = 0
    for obj in scan.objects:
        entry = api_removals.find(obj.api_version, obj.kind)
        if entry is None or entry.deprecated > target:
            continue
        flagged += 1
        res = Resource(id=f"{obj.kind}/{obj.key}", type=obj.kind, name=obj.name)
        move = (
            f"move its manifest to {entry.replacement}"
            if entry.replacement
            else "the kind is gone: remove it"
        )
        info = {"api_version": obj.api_version, "deprecated_in": entry.deprecated_in,
                "removed_in": entry.removed_in, "replacement": entry.replacement, "source": entry.source}  # fmt: skip
        what = f"{obj.kind} {obj.key} was last applied as {obj.api_version}"
        if entry.removed <= target:
            already = f", already before this cluster's {text(current)}" if entry.removed <= current else ""
            yield ctx.failed(f"{what}, which Kubernetes {entry.removed_in} removed{already}: {move} before it "
                             f"is applied to {text(target)}", res, None, **info)  # fmt: skip
        else:
            yield ctx.failed(f"{what}, deprecated since {entry.deprecated_in} and removed in "
                             f"{entry.removed_in}: {move}", res, WARNING, **info)  # fmt: skip
    if not flagged:
        yield ctx.passed(
            f"{scan.looked_at} objects of {len(scan.scanned)} kinds: none last applied with an API version "
            f"removed or deprecated by {text(target)}",
            None,
            scanned=list(scan.scanned),
            not_served=list(scan.not_served),
        )
