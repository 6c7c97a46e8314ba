"""`stack-set`'s file work: which manifest line to change for each `path=value`, the new file texts, and
the proof (in a scratch copy of the tree) that the edit does what was asked and nothing else.

Where a value goes: the file and line that define the value that wins (provenance.py). When no file
defines it yet, or with `in_stack`, it goes into the component's section of the stack's own manifest (the
manifest `Stacks.find` picks for the stack and component: the last one of that stack name defining it).
Refused with file:line: a path outside vars/settings/env, a var the stack name is made of, a value set
through a YAML function (`!include`, `!env`), a Go template, a `.tmpl` file, a mapping or list (only single
values are set), a change of type (a number set to a word), an edit that does not win after re-resolving
(e.g. `overrides` above it), and an edit that also changes another component or stack (a shared catalog
file): then `--in-stack` puts the value in the stack's own manifest instead.
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsbook.core.errors import InputError
from opsbook.core.yamlfile import quoted
from opsbook.providers.atmos.provenance import Definition, definition_in, own_section
from opsbook.providers.atmos.resolver import Stack, Stacks, public
from opsbook.providers.atmos.yamledit import documents, set_value

SECTIONS = ("vars", "settings", "env")
COPY_IGNORE = shutil.ignore_patterns(".git", ".terraform", "*.planfile", "__pycache__")


@dataclass(frozen=True)
class Setting:
    path: tuple[str, ...]
    value: Any

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass
class FileEdit:
    path: Path
    rel: str  # relative to the atmos base path
    old: str
    new: str = ""
    lines: list[str] = field(default_factory=list)  # "vars.x: 4 -> 6 (line 25)"

    @property
    def old_sha256(self) -> str:
        return sha256(self.old)

    @property
    def new_sha256(self) -> str:
        return sha256(self.new)

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                f"a/{self.rel}",
                f"b/{self.rel}",
            )
        )


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_setting(raw: str, current: Any) -> Setting:
    """`vars.a.b=value`: the value read as YAML (6 a number, true a boolean); it stays a string when it
    replaces a string (`kubernetes_version=1.33` is "1.33")."""
    where = f"--set {quoted(raw)}"
    dotted, sep, text = raw.partition("=")
    path = tuple(dotted.strip().split("."))
    if not sep or not all(path):
        raise InputError(f"{where}: expected PATH=VALUE, e.g. vars.node_groups.application.desired_size=6")
    if path[0] not in SECTIONS or len(path) < 2:
        raise InputError(f"{where}: the path must be under {', '.join(SECTIONS)} (e.g. vars.name=value)")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    if isinstance(current, str) and not isinstance(value, str) and not _quoted(text):
        value = text.strip()
    if isinstance(value, (dict, list)) or not isinstance(value, (str, int, float, bool, type(None))):
        raise InputError(
            f"{where}: only a single value (string, number, boolean) can be set, not a list or map"
        )
    return Setting(path, value)


def _quoted(text: str) -> bool:
    t = text.strip()
    return len(t) >= 2 and t[0] == t[-1] and t[0] in "'\""


def current_value(section: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = section
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def check_type(setting: Setting, current: Any) -> None:
    if current is None or isinstance(current, str):
        return
    if isinstance(current, (dict, list)):
        kind = "mapping" if isinstance(current, dict) else "list"
        raise InputError(f"--set {setting.dotted}: it holds a {kind}; set one of its values instead")
    numbers = (int, float)
    same = isinstance(setting.value, bool) == isinstance(current, bool) and (
        isinstance(setting.value, numbers)
        and isinstance(current, numbers)
        or type(setting.value) is type(current)
    )
    if not same:
        raise InputError(
            f"--set {setting.dotted}={setting.value!r}: it is a {type(current).__name__} now ({current!r}), "
            f"not a {type(setting.value).__name__}"
        )


def target_of(
    stacks: Stacks, st: Stack, ctype: str, component: str, chain: list[str], setting: Setting, in_stack: bool
) -> tuple[Path, tuple[Any, ...], Definition | None]:
    """The file and key path to edit for `setting`, and the definition that wins now (None if none)."""
    naming = name_vars(stacks)
    if setting.path[0] == "vars" and len(setting.path) == 2 and setting.path[1] in naming:
        raise InputError(
            f"--set {setting.dotted}: the stack name is made of vars.{setting.path[1]}; not changed"
        )
    found = definition_in(st, ctype, component, chain, setting.path)
    if found is not None:
        if found.blocked:
            raise InputError(
                f"{found.where}: {'.'.join(map(str, found.loc))} hides {setting.dotted} (not a mapping, or !unset)"
            )
        if found.through_tag:
            raise InputError(
                f"{found.where}: {setting.dotted} comes from a YAML function (!include) here; edit by hand"
            )
        if found.templated:
            raise InputError(
                f"{found.where}: {setting.dotted} is a template ({str(found.value)!r}); edit by hand"
            )
    if found is None or in_stack:
        path, loc = own_section(st, ctype, component, setting.path)
        return path, loc, found
    return found.file, found.loc, found


def name_vars(stacks: Stacks) -> set[str]:
    import re

    text = (stacks.config.name_pattern or "") + (stacks.config.name_template or "")
    return set(re.findall(r"\{([A-Za-z0-9_-]+)\}", text)) | set(re.findall(r"\.vars\.([A-Za-z0-9_]+)", text))


def edit_file(edit: FileEdit, loc: tuple[Any, ...], setting: Setting, found: Definition | None) -> None:
    """Apply one setting to `edit.new` (starting from `edit.old`), checking the file says what was resolved."""
    where = str(edit.path)
    if edit.path.name.endswith(".tmpl"):
        raise InputError(
            f"{where}: a template manifest (.tmpl) is rendered before it is read; edit it by hand"
        )
    text = edit.new or edit.old
    if found is not None and found.file == edit.path and found.loc == loc:
        on_disk = current_value(documents(text)[0] or {}, loc)  # type: ignore[arg-type]
        if on_disk != found.value:
            raise InputError(
                f"{found.where}: the file says {on_disk!r} where opsbook resolved {found.value!r}"
            )
    edit.new = set_value(text, loc, setting.value, where=where)
    line = f"line {found.line}" if found is not None and found.file == edit.path else "new line"
    old = repr(found.value) if found is not None else "(not set)"
    edit.lines.append(f"{setting.dotted}: {old} -> {setting.value!r} ({edit.rel}, {line})")


def scratch_copy(base: Path, dest: Path, edits: list[FileEdit]) -> Path:
    """A copy of the tree under `base` (no .git, .terraform or saved plans) with the edits written."""
    shutil.copytree(base, dest, ignore=COPY_IGNORE, symlinks=True)
    for edit in edits:
        (dest / edit.rel).write_text(edit.new, encoding="utf-8")
    return dest


def others_changed(
    before: Stacks, after: Stacks, edits: list[FileEdit], target: tuple[str, str]
) -> list[str]:
    """`stack component` pairs other than `target` whose resolved configuration the edits change."""
    edited = {before.processor.rel(e.path) for e in edits}
    changed = []
    for name, group in before.stacks().items():
        for st in group:
            if not edited & {st.manifest, *st.result.imports}:
                continue
            twin = next((s for s in after.stacks().get(name, []) if s.manifest == st.manifest), None)
            for key in st.raw_components:
                ctype, comp = key.split("/", 1)
                if (name, comp) == target or f"{name} {comp}" in changed:
                    continue
                old = public(before.component_in(st, comp, ctype))
                if (old.get("metadata") or {}).get("type") == "abstract":
                    continue  # never deployed; what inherits from it is compared itself
                new = public(after.component_in(twin, comp, ctype)) if twin else None
                if old != new:
                    changed.append(f"{name} {comp}")
    return changed
