"""Procedures on one plan engine: plan files, approval, re-check-before-act, journal and audit.

See docs/procedures.md. `load_builtin()` imports the modules that register item kinds.
"""

from __future__ import annotations

_loaded = False


def load_builtin() -> None:
    global _loaded
    if not _loaded:
        from opsbook.core.registry import import_submodules

        import_submodules("opsbook.procedures")
        _loaded = True
