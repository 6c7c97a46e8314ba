"""Kubernetes client failures in opsbook's error tree: 401/403 -> AccessDenied("<verb> <resource>"),
connection failures -> TargetUnavailable. Imports `kubernetes`/`urllib3` lazily (optional extra)."""

from __future__ import annotations

import re

from opsbook.core.errors import AccessDenied, TargetUnavailable, one_line
from opsbook.providers.k8s.requests import status_message

_CANNOT = re.compile(r'cannot (\w+) resource "([^"]+)" in API group "([^"]*)"')


def denied(status: int, verb: str, resource: str, message: str = "") -> AccessDenied:
    reason = "credentials rejected (401 Unauthorized)" if status == 401 else "RBAC: 403 Forbidden"
    return AccessDenied(
        f"{verb} {resource}", reason + (f": {one_line(message)}" if message and status != 401 else "")
    )


def unreachable(where: str, exc: BaseException) -> TargetUnavailable:
    reason = getattr(exc, "reason", None) or exc
    return TargetUnavailable(f"{where}: endpoint unreachable ({type(exc).__name__}: {one_line(reason)})")


def classify(exc: BaseException, fallback: str, where: str) -> Exception | None:
    """Map a raw kubernetes/urllib3 exception (one that did not come through a CountingApiClient) to
    opsbook's tree; None when it is neither (the caller re-raises or reports it as it is)."""
    try:
        import urllib3.exceptions
        from kubernetes.client.exceptions import ApiException
    except ImportError:  # pragma: no cover - the k8s extra is missing, so nothing of it can fail
        return None
    if isinstance(exc, ApiException) and exc.status in (401, 403):
        message = status_message(exc.body)
        match = _CANNOT.search(message)
        action = fallback
        if match:
            verb, resource, group = match.groups()
            base, _, sub = resource.partition("/")
            action = f"{verb} {base}{'.' + group if group else ''}{'/' + sub if sub else ''}"
        verb, _, resource = action.partition(" ")
        return denied(int(exc.status), verb, resource, message)
    if isinstance(exc, ApiException):
        return TargetUnavailable(
            one_line(
                f"{where}: {fallback} failed: HTTP {exc.status} {exc.reason}: {status_message(exc.body)}"
            )
        )
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError):
        return unreachable(where, exc)
    return None


def describe(exc: BaseException) -> str:
    """One line naming `exc` for a step's record: `Type: text`, a Kubernetes API error as its HTTP status and
    the API's own message (its str() is several lines of status, headers and body)."""
    status, body = getattr(exc, "status", None), getattr(exc, "body", None)
    text = str(exc)
    if isinstance(status, int) and body is not None:
        text = f"HTTP {status} {getattr(exc, 'reason', '') or ''}: {status_message(body)}"
    return one_line(f"{type(exc).__name__}: {text}", 500)
