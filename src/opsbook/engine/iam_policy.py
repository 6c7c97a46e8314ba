"""The least-privilege, read-only IAM policy for what a run would do: every AWS check selected, each with
its own extra permissions plus those of every collector it reads, transitively (core/checks.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsbook.core.checks import CADENCES, CheckSpec
from opsbook.core.errors import InputError
from opsbook.core.models import TargetKind
from opsbook.engine.selection import load_builtin, select

ALL_CADENCES = ("daily", "weekly", "monthly", "upgrade")


def aws_checks(cadences: Iterable[str] = (), check_ids: Iterable[str] = ()) -> list[CheckSpec]:
    """The AWS checks of `cadences` (daily, weekly, weekly:monday, monthly:audit...) and `check_ids`;
    with neither, every AWS check."""
    load_builtin()
    cadences, check_ids = list(cadences), list(check_ids)
    for c in cadences:
        if c not in ALL_CADENCES and not CADENCES.match(c):
            raise InputError(f"--cadence {c!r}: expected daily, weekly[:<day>], monthly[:<part>] or upgrade")
    specs = select(cadences or ([] if check_ids else list(ALL_CADENCES)), check_ids)
    aws = [s for s in specs if s.target_kind is TargetKind.AWS]
    if not aws:
        raise InputError("no AWS check matches (see `opsbook checks list`)")
    return aws


def actions_of(specs: Iterable[CheckSpec]) -> list[str]:
    return sorted({a for s in specs for a in s.all_permissions()})


def policy_document(specs: Iterable[CheckSpec]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OpsbookReadOnly", "Effect": "Allow", "Action": actions_of(specs), "Resource": "*"}
        ],
    }
