"""Which checks a run includes: by scope (daily, weekly[:day], monthly[:part]) or by explicit ids."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from opsbook.core.checks import CHECKS, CheckSpec, validate_check_config
from opsbook.core.config import Config, load_config
from opsbook.core.errors import NotFound
from opsbook.core.registry import Registry, import_submodules

_loaded = False


def load_builtin() -> None:
    """Import the built-in collectors and checks so that they register (once)."""
    global _loaded
    if not _loaded:
        import_submodules("opsbook.collect")
        import_submodules("opsbook.checks")
        _loaded = True


def load_checked_config(path: str | Path | None = None, *, required: bool = True) -> Config:
    """opsbook.yaml as every command loads it: the file, then its `checks:` section against the registry
    (an unknown check id or setting is a ConfigError with file:line:col, before anything runs)."""
    cfg = load_config(path, required=required)
    load_builtin()
    validate_check_config(cfg)
    return cfg


def matches(spec: CheckSpec, scope: str) -> bool:
    """`daily` matches daily checks; `weekly` every weekly one; `weekly:monday` only Monday's."""
    return any(c == scope or c.startswith(scope + ":") for c in spec.cadence)


def select(
    scopes: Iterable[str] = (),
    ids: Iterable[str] = (),
    registry: Registry[CheckSpec] | None = None,
) -> list[CheckSpec]:
    reg = registry if registry is not None else CHECKS
    ids = list(ids)
    for cid in ids:
        if cid not in reg:
            raise NotFound(f"unknown check {cid!r} (see `opsbook checks list`)")
    scopes = list(scopes)
    chosen = [s for s in reg if s.id in ids or any(matches(s, sc) for sc in scopes)]
    return sorted(chosen, key=lambda s: s.id)
