"""Helpers shared by the Kubernetes checks: resources for findings, per-namespace passes, percentages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from opsbook.collect.k8s.models import K8sPod, percent
from opsbook.core.checks import CheckContext
from opsbook.core.models import Finding, Resource

MIB = 1024 * 1024
__all__ = ["mib", "namespace_passes", "node_resource", "object_resource", "percent", "pod_resource"]


def node_resource(name: str) -> Resource:
    return Resource(id=name, type="Node", name=name)


def pod_resource(pod: K8sPod) -> Resource:
    return Resource(id=pod.key, type="Pod", name=pod.name)


def object_resource(kind: str, namespace: str, name: str) -> Resource:
    return Resource(id=f"{namespace}/{name}", type=kind, name=name)


def namespace_passes(ctx: CheckContext, good: Iterable[K8sPod], what: str) -> Iterator[Finding]:
    """One PASS per namespace for the pods that are fine (thousands of pods stay a handful of findings)."""
    counts = Counter(p.namespace for p in good)
    for ns, n in sorted(counts.items()):
        yield ctx.passed(
            f"namespace {ns}: {n} pod(s) {what}",
            Resource(id=f"namespace/{ns}", type="Namespace", name=ns),
            pods=n,
        )


def mib(value: int | None) -> int | None:
    return None if value is None else round(value / MIB)
