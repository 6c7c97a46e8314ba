"""Whatever goes wrong while reading a target, as opsbook's error tree: classified by exception type.

The rule (DESIGN.md, "target isolation by type"): any exception raised while preparing or collecting a
target becomes ERROR findings for that target with a one-line reason; only opsbook's own config and
arguments end a run. `as_target_error` is the one place that decides which branch an exception is:

- opsbook's own errors stay as they are (AccessDenied, TargetUnavailable, ConfigError of one cluster...);
- botocore errors go through the AWS classifier (denied, credentials, unreachable, not-AWS answer);
- kubernetes/urllib3 errors go through the Kubernetes classifier (401/403, HTTP status, unreachable);
- OS-level connection errors are unreachable; anything else is TargetFailed naming its type.
"""

from __future__ import annotations

import botocore.exceptions
import botocore.parsers

from opsbook.core.errors import OpsbookError, TargetFailed, TargetUnavailable, one_line
from opsbook.providers.aws.session import classify as classify_aws
from opsbook.providers.k8s import errors as k8s_errors

_AWS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
)


def as_target_error(exc: BaseException, *, where: str, action: str) -> OpsbookError:
    """`exc` (raised while using the target `where`, doing `action`) as an OpsbookError with one line."""
    if isinstance(exc, OpsbookError):
        return exc
    if isinstance(exc, _AWS):
        mapped = classify_aws(exc, action, where)
        if isinstance(mapped, OpsbookError):
            return mapped
    k8s = k8s_errors.classify(exc, action, where)
    if isinstance(k8s, OpsbookError):
        return k8s
    if isinstance(exc, ConnectionError | TimeoutError):
        return TargetUnavailable(f"{where}: endpoint unreachable ({type(exc).__name__}: {one_line(exc)})")
    detail = one_line(exc) or "(no message)"
    return TargetFailed(f"{where}: {action}: unexpected {type(exc).__name__}: {detail}")


def is_unavailable(exc: BaseException) -> bool:
    """The target as a whole could not be used (not one permission or one collector)."""
    return isinstance(exc, TargetUnavailable)
