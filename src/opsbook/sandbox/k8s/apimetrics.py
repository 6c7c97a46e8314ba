"""`GET /metrics` of the fake API server: the one series the upgrade pre-flight reads, the stable gauge
`apiserver_requested_deprecated_apis{group,version,resource,subresource,removed_release}`, set to 1 for
each deprecated API some client requested since the server started (as kube-apiserver does).

The built-in catalog (resources.py) serves no deprecated version at the sandbox's Kubernetes version, so
the series come from custom resources: a CRD version marked `deprecated: true` is deprecated with no
removal scheduled (`removed_release=""`), as a real API server reports it. Text format 0.0.4.
"""

from __future__ import annotations

import threading

from opsbook.sandbox.k8s.resources import ResourceType

PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
GAUGE = "apiserver_requested_deprecated_apis"
LABELS = ("group", "version", "resource", "subresource", "removed_release")


class DeprecatedRequests:
    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str, str, str]] = set()
        self._lock = threading.Lock()

    def record(self, rt: ResourceType, subresource: str | None) -> None:
        if rt.deprecated:
            with self._lock:
                self._seen.add((rt.group, rt.version, rt.plural, subresource or "", rt.removed_release))

    def clear(self) -> None:
        """Forget every series, as a restarted API server does."""
        with self._lock:
            self._seen.clear()

    def exposition(self) -> bytes:
        with self._lock:
            seen = sorted(self._seen)
        lines = [
            f"# HELP {GAUGE} [STABLE] Deprecated APIs requested since the server started, by API group, "
            "version, resource, subresource and the release that removes them.",
            f"# TYPE {GAUGE} gauge",
        ]
        for values in seen:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(zip(LABELS, values, strict=True)))
            lines.append(f"{GAUGE}{{{labels}}} 1")
        return ("\n".join(lines) + "\n").encode()
