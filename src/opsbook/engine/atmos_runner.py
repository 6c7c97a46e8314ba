"""The runner for the stacks target: no clients, the collectors read files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError
from opsbook.core.models import Target, TargetKind


class AtmosRunner:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def prepare(self, target: Target) -> Callable[[str], Any]:
        def no_clients(service: str) -> Any:
            raise ConfigError(f"{target.key}: the stacks target has no {service} client")

        return no_clients


def atmos_targets(cfg: Config) -> list[Target]:
    """One target for the stacks tree when opsbook.yaml says where it is."""
    if cfg.stacks is None:
        return []
    where = Path(cfg.stacks.atmos_config or os.environ.get("ATMOS_CLI_CONFIG_PATH") or ".").resolve()
    return [Target(kind=TargetKind.ATMOS, stack=where.name or str(where))]
