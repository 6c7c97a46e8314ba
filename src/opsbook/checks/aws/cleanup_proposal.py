"""The cost checks' proposals to the `cleanup` procedure (engine/cleanup.py plans them)."""

from __future__ import annotations

from typing import Any

from opsbook.core.models import Proposal

PROCEDURE = "cleanup"


def proposal(kind: str, action: str, saving_usd_month: float, **params: Any) -> Proposal:
    """`params` are what the item's re-check compares live state against (e.g. idle thresholds)."""
    return Proposal(
        procedure=PROCEDURE, kind=kind, action=action, params=params, saving_usd_month=saving_usd_month
    )
