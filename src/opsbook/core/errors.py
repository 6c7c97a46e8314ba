"""One error tree for the whole tool. The CLI maps each branch to an exit code.

Exit codes: 0 clean, 1 findings at/above --fail-on, 2 bad usage/config/input, 3 some targets failed.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_TARGETS_FAILED = 3


_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: object, limit: int = 2000) -> str:
    """`text` as one line a terminal shows as one line: every run of whitespace or control characters
    (newlines, U+2028/U+2029, NEL...) becomes one space; longer than `limit` is cut with an ellipsis."""
    flat = _BREAKS.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


class OpsbookError(Exception):
    """Base of every error opsbook raises on purpose. `str(err)` is the one line a user sees."""

    exit_code = EXIT_USAGE


class ConfigError(OpsbookError):
    """opsbook.yaml (or another config file) is malformed or invalid."""


class ConfigNotFound(ConfigError):
    """The config file is not there. The message names the ways out every command has; `flag` adds the running
    command's own way to the sandbox (`opsbook serve --sandbox-store`), which only the CLI knows."""

    def __init__(self, path: str, flag: str = "") -> None:
        self.path = path
        self.flag = flag
        ways = "run `opsbook config init`, pass `opsbook --config FILE`" + (f", or {flag}" if flag else "")
        super().__init__(f"{path}: file not found ({ways})")


class InputError(OpsbookError):
    """A file or argument given by the user is malformed (stacks, plans, flags)."""


class NotFound(InputError):
    """A named thing (stack, component, run, check, plan item) does not exist."""


class PlanMismatch(InputError):
    """A plan file was altered, has expired, or does not match the state it was made for."""


class PlanLocked(InputError):
    """Another apply of the same plan holds its lock (one apply per plan at a time)."""


class LimitExceeded(InputError):
    """A safety limit (max-resources, plan size) would be exceeded."""


class TargetError(OpsbookError):
    """A target (account/region, cluster) could not be reached or used."""

    exit_code = EXIT_TARGETS_FAILED


class TargetUnavailable(TargetError):
    """Endpoint unreachable, credentials rejected, cluster down."""


class AccessDenied(TargetError):
    """The caller lacks a permission. `action` names it, e.g. `rds:DescribeDBInstances`."""

    def __init__(self, action: str, detail: str = "") -> None:
        self.action = action
        self.detail = detail
        super().__init__(f"missing permission {action}" + (f" ({detail})" if detail else ""))


class ApiNotEnabled(TargetError):
    """A service is not enabled/subscribed in the account (GuardDuty off, Config recorder off)."""


class TargetFailed(TargetError):
    """Reading a target failed in a way opsbook has no better name for: an answer that is not what the
    API sends, or a collector that broke on the data. The target's checks are ERROR; the run goes on."""


class StoreUnavailable(OpsbookError):
    """The run-history store could not be opened or written (disk full, corrupt file, server down).
    A run still writes its report and exits 3; other commands that need the store exit 3."""

    exit_code = EXIT_TARGETS_FAILED


class StoreMissing(StoreUnavailable):
    """A command that only reads found no SQLite store (nothing recorded yet) and made none. Exit 3; a
    command that lists records may show an empty list instead."""


class ServiceUnavailable(OpsbookError):
    """A service opsbook hands work to (the Temporal server) could not be reached in time. Exit 3."""

    exit_code = EXIT_TARGETS_FAILED


class ExternalCommandError(OpsbookError):
    """A subprocess (terraform, tofu, a workflow shell step) failed."""

    exit_code = 1


class Interrupted(OpsbookError):
    """The user pressed Ctrl-C; work in flight was stopped and recorded as interrupted."""

    exit_code = 130
