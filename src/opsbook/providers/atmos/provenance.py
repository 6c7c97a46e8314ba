"""Provenance: which manifest file and line defines the value that wins for (stack, component, path).

Computed only when asked (ordinary resolution pays nothing but the file order imports.py records). It
mirrors the resolver's order (resolver.py): a section merges global -> `<type>:` -> base components ->
the component -> its `overrides`, and inside each level every file in the order its imports were merged
(imports first, then the importer; later wins). So the winner is the first definition found walking that
order backwards. For `overrides`, an importing file's overrides win over the files it imports, and
`<type>.overrides` over plain `overrides` in the same file.

A path is a tuple of mapping keys starting with the section, e.g. ("vars", "node_groups", "system",
"min_size"). Lists are not walked into.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsbook.providers.atmos.imports import FileResult
from opsbook.providers.atmos.resolver import MAP_SECTIONS, Stack, Stacks
from opsbook.providers.atmos.yamlload import Loaded, LocStr, Unset

_MISSING = object()


@dataclass(frozen=True)
class Definition:
    """Where a value is set: the file, the key path inside it and the line of its deepest known key."""

    file: Path
    loc: tuple[Any, ...]  # keys from the document root to the value
    line: int
    value: Any
    level: str  # "global", "terraform", "component eks/defaults", "component eks", "overrides"
    through_tag: bool = False  # the value comes from a YAML function (!include) whose key is at `line`
    templated: bool = False  # the value is a Go template rendered after merging
    blocked: bool = False  # a non-mapping (or !unset) set at a prefix of the path hides every lower level

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _walk(data: Any, keys: tuple[Any, ...]) -> tuple[Any, int]:
    """The value at `keys` and how many keys matched; a non-mapping on the way stops the walk there."""
    node = data
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:  # an empty (null) mapping defines nothing
            blocking = depth and node is not None and not isinstance(node, dict)
            return (node if blocking else _MISSING), depth
        node = node[key]
        if isinstance(node, Unset):
            return node, depth + 1
    return node, len(keys)


def _found(loaded: Loaded, prefix: tuple[Any, ...], path: tuple[Any, ...], level: str) -> Definition | None:
    value, depth = _walk(loaded.data, prefix + path)
    if value is _MISSING or depth <= len(prefix):
        return None
    loc = (prefix + path)[:depth]
    blocked = depth < len(prefix + path) or isinstance(value, Unset)
    full = loc in loaded.lines
    known = next(loc[:n] for n in range(len(loc), -1, -1) if loc[:n] in loaded.lines or n == 0)
    return Definition(
        file=loaded.path,
        loc=loc,
        line=loaded.lines.get(known, 1),
        value=value,
        level=level,
        through_tag=not full,
        templated=isinstance(value, LocStr),
        blocked=blocked,
    )


def _last(
    result: FileResult, prefix: tuple[Any, ...], path: tuple[Any, ...], level: str
) -> Definition | None:
    for loaded, _parents in reversed(result.order):
        found = _found(loaded, prefix, path, level)
        if found is not None:
            return found
    return None


def _override(result: FileResult, ctype: str, component: str, path: tuple[Any, ...]) -> Definition | None:
    """The winning `overrides` definition: of the files defining the component (last first), the
    outermost importer's overrides win, then the next one in, down to the file itself."""
    for loaded, parents in reversed(result.order):
        comps = ((loaded.data.get("components") or {}).get(ctype)) or {}
        if not isinstance(comps, dict) or component not in comps:
            continue
        for scope in (*parents, loaded):
            for prefix in (("terraform", "overrides"), ("overrides",)):
                found = _found(scope, prefix, path, "overrides")
                if found is not None:
                    return found
    return None


def where_defined(
    stacks: Stacks, stack: str, component: str, path: tuple[Any, ...], ctype: str = "terraform"
) -> Definition | None:
    """The definition that wins for `path` in `component` of `stack`; None when no file sets it.
    Raises NotFound (with close names) for an unknown stack or component, as `Stacks.component` does."""
    st = stacks.find(stack, f"{ctype}/{component}")
    section = stacks.component_in(st, component, ctype)  # the same NotFound as resolution
    return definition_in(st, ctype, component, list(reversed(section.get("inheritance") or [])), path)


def definition_in(
    st: Stack, ctype: str, component: str, chain: list[str], path: tuple[Any, ...]
) -> Definition | None:
    result = st.result
    has_global, overridable = MAP_SECTIONS.get(str(path[0]), (False, False))
    found = _override(result, ctype, component, path) if overridable else None
    for name in [component, *reversed(chain)]:
        if found is None:
            found = _last(result, ("components", ctype, name), path, f"component {name}")
    if found is None:
        found = _last(result, (ctype,), path, ctype)
    if found is None and has_global:
        found = _last(result, (), path, "global")
    return found


def own_section(st: Stack, ctype: str, component: str, path: tuple[Any, ...]) -> tuple[Path, tuple[Any, ...]]:
    """Where a value defined nowhere yet goes: the component's section in the stack's own manifest."""
    return st.path, ("components", ctype, component, *path)
