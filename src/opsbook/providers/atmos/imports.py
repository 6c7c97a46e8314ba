"""Stack manifest imports: one manifest plus everything it imports, merged, with file-scoped overrides.

Order (Atmos's): each import, itself already merged with its own imports, in list order (glob matches
sorted), then the file itself on top. Paths starting with `.` are relative to the importing file, others
to `stacks.base_path`; without an extension `.yaml`, `.yml`, `.yaml.tmpl`, `.yml.tmpl` are tried.
`overrides` (global and `terraform.overrides`) apply to the components defined in the same file and
in the files it imports; an importing file's overrides win over an imported file's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsbook.core.errors import InputError
from opsbook.providers.atmos import globs
from opsbook.providers.atmos.merge import merge
from opsbook.providers.atmos.template import TemplateError, render
from opsbook.providers.atmos.yamlload import Loaded, check_chain, load_manifest

EXTENSIONS = (".yaml", ".yml", ".yaml.tmpl", ".yml.tmpl")
COMPONENT_TYPES = ("terraform", "helmfile", "packer", "ansible", "helm", "kubernetes")
UNSUPPORTED_SECTIONS = ("locals", "compositions", "secrets")


ImportSpec = tuple[str, int | None, dict[str, Any] | None, bool, bool]


def strip_ext(name: str) -> str:
    for ext in (".yaml.tmpl", ".yml.tmpl", ".yaml", ".yml", ".json"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def with_extensions(pattern: str) -> list[str]:
    """Atmos's rule for `stacks.included_paths`: a pattern whose last segment has no extension
    (`orgs/**/*`) is tried with each stack extension; one with an extension is used as it is."""
    last = pattern.rsplit("/", 1)[-1]
    return [pattern] if "." in last else [pattern + ext for ext in EXTENSIONS]


@dataclass
class FileResult:
    """A manifest merged with its imports."""

    data: dict[str, Any]
    imports: list[str] = field(default_factory=list)  # every file imported, transitively (stack-relative)
    defines: dict[str, list[str]] = field(default_factory=dict)  # "<type>/<component>" or section -> files
    origins: dict[str, str] = field(default_factory=dict)  # "<type>/<component>" -> file:line defined last
    lines: dict[str, Loaded] = field(default_factory=dict)  # loaded files by stack-relative name
    # every file in the order its sections were merged (imports first, then the importer; a file imported
    # twice appears twice), with the files that import it (outermost first): provenance.py reads it
    order: list[tuple[Loaded, tuple[Loaded, ...]]] = field(default_factory=list)


class ImportProcessor:
    """Processes manifests under one stacks base path; parsed files are cached."""

    def __init__(self, stacks_base: Path, base_path: Path, strategy: str = "replace") -> None:
        self.stacks_base = stacks_base
        self.base_path = base_path
        self.strategy = strategy
        self._cache: dict[tuple[Path, str], Loaded] = {}

    def rel(self, path: Path) -> str:
        try:
            return strip_ext(path.resolve().relative_to(self.stacks_base).as_posix())
        except ValueError:
            import os

            return strip_ext(Path(os.path.relpath(path.resolve(), self.stacks_base)).as_posix())

    def load(self, path: Path, context: dict[str, Any] | None = None, skip_templates: bool = False) -> Loaded:
        key = (path, json.dumps(context, sort_keys=True, default=str) if context is not None else "")
        if key not in self._cache:
            renderer = None
            if (context is not None or path.name.endswith(".tmpl")) and not skip_templates:
                ctx = context or {}

                def renderer(text: str, _ctx: dict[str, Any] = ctx, _p: Path = path) -> str:
                    try:
                        return render(text, _ctx)
                    except TemplateError as exc:
                        raise InputError(
                            f"{_p}: import template: {exc}; pass it in the import's context"
                        ) from None

            loaded = load_manifest(path, base_path=self.base_path, render=renderer)
            if loaded.data is None:
                loaded.data = {}
            if not isinstance(loaded.data, dict):
                kind = type(loaded.data).__name__
                raise InputError(f"{path}:1: a stack manifest must be a mapping of sections, not {kind}")
            self._cache[key] = loaded
        return self._cache[key]

    def _targets(self, spec: str, importer: Path, line_where: str, skip_if_missing: bool) -> list[Path]:
        if "://" in spec or spec.startswith(("git::", "github.com/", "s3::")):
            raise InputError(f"{line_where}: remote import {spec!r} is not supported by opsbook")
        base = importer.parent if spec.startswith(".") else self.stacks_base
        has_ext = any(spec.endswith(e) for e in EXTENSIONS) or spec.endswith(".json")
        patterns = [spec] if has_ext else [spec + e for e in EXTENSIONS]
        found: set[Path] = set()
        for pattern in patterns:
            if globs.is_glob(pattern):
                try:
                    found.update(globs.glob(base, pattern))
                except globs.GlobError as exc:
                    raise InputError(f"{line_where}: import pattern {spec!r}: {exc}") from None
            else:
                candidate = base / pattern
                if candidate.is_file():
                    found.add(candidate)
                    break
        if not found:
            if skip_if_missing:
                return []
            raise InputError(
                f"{line_where}: import {spec!r} not found (looked for {patterns[0]} under {base}); "
                "fix the path or add skip_if_missing: true"
            )
        return sorted(found, key=lambda p: p.as_posix())

    def process(
        self,
        path: Path,
        parent_overrides: dict[str, Any] | None = None,
        chain: tuple[Path, ...] = (),
        context: dict[str, Any] | None = None,
        skip_templates: bool = False,
        top: bool = True,
        parents: tuple[Loaded, ...] = (),
    ) -> FileResult:
        path = path.resolve()
        loaded = self.load(path, context, skip_templates)
        data: dict[str, Any] = loaded.data
        rel = self.rel(path)
        for section in UNSUPPORTED_SECTIONS:
            if section in data:
                raise InputError(
                    f"{loaded.where((section,))}: the '{section}' section is not supported by opsbook"
                )
        own_overrides = merge(
            data.get("overrides") or {}, (data.get("terraform") or {}).get("overrides") or {}, self.strategy
        )
        effective = merge(own_overrides, parent_overrides or {}, self.strategy)
        result = FileResult(data={}, lines={rel: loaded})
        for spec, idx, item_ctx, skip_missing, skip_tmpl in self._import_specs(loaded):
            where = loaded.where(("import", idx) if idx is not None else ("import",))
            for target in self._targets(spec, path, where, skip_missing):
                target = target.resolve()
                check_chain(where, "import", (*chain, path), target, self.rel)
                ctx = item_ctx if item_ctx is not None else context
                sub = self.process(
                    target, effective, (*chain, path), ctx, skip_tmpl, top=False, parents=(*parents, loaded)
                )
                result.data = merge(result.data, sub.data, self.strategy)
                for name in [self.rel(target), *sub.imports]:
                    if name not in result.imports:
                        result.imports.append(name)
                for key, files in sub.defines.items():
                    result.defines.setdefault(key, [])
                    result.defines[key] += [f for f in files if f not in result.defines[key]]
                result.origins.update(sub.origins)
                result.lines.update(sub.lines)
                result.order += sub.order
        result.order.append((loaded, parents))
        own = self._own_sections(data, loaded, effective, rel, result)
        result.data = merge(result.data, own, self.strategy)
        return result

    def _import_specs(
        self, loaded: Loaded
    ) -> list[tuple[str, int | None, dict[str, Any] | None, bool, bool]]:
        raw = loaded.data.get("import")
        if raw is None:
            return []
        if isinstance(raw, str):
            return [(raw, None, None, False, False)]
        if not isinstance(raw, list):
            raise InputError(f"{loaded.where(('import',))}: 'import' must be a list of paths")
        specs: list[ImportSpec] = []
        for i, item in enumerate(raw):
            if isinstance(item, str):
                specs.append((item, i, None, False, False))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                unknown = set(item) - {
                    "path",
                    "context",
                    "skip_if_missing",
                    "skip_templates_processing",
                    "ignore_missing_template_values",
                }
                if unknown:
                    raise InputError(
                        f"{loaded.where(('import', i))}: import option(s) {', '.join(sorted(unknown))} "
                        "not supported by opsbook"
                    )
                ctx = item.get("context")
                specs.append(
                    (
                        item["path"],
                        i,
                        ctx if isinstance(ctx, dict) else None,
                        bool(item.get("skip_if_missing")),
                        bool(item.get("skip_templates_processing")),
                    )
                )
            else:
                raise InputError(
                    f"{loaded.where(('import', i))}: an import must be a path or a map with 'path'"
                )
        return specs

    def _own_sections(
        self, data: dict[str, Any], loaded: Loaded, effective: dict[str, Any], rel: str, result: FileResult
    ) -> dict[str, Any]:
        own: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("import", "overrides", "name"):
                continue
            if key in COMPONENT_TYPES and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != "overrides"}
            own[key] = value
            if key in ("vars", "settings", "env") or (key in COMPONENT_TYPES and value):
                result.defines.setdefault(key, [])
                if rel not in result.defines[key]:
                    result.defines[key].append(rel)
        components = data.get("components")
        if components is None:
            return own
        if not isinstance(components, dict):
            raise InputError(f"{loaded.where(('components',))}: 'components' must be a mapping")
        new_components: dict[str, Any] = {}
        for ctype, comps in components.items():
            if comps is None:
                continue
            if not isinstance(comps, dict):
                raise InputError(
                    f"{loaded.where(('components', ctype))}: components.{ctype} must be a mapping"
                )
            new_comps: dict[str, Any] = {}
            for name, section in comps.items():
                where = loaded.where(("components", ctype, name))
                if section is None:
                    section = {}
                if not isinstance(section, dict):
                    raise InputError(f"{where}: component '{name}' must be a mapping of sections")
                section = dict(section)
                if effective:
                    section["overrides"] = effective
                new_comps[name] = section
                key = f"{ctype}/{name}"
                result.defines.setdefault(key, [])
                if rel not in result.defines[key]:
                    result.defines[key].append(rel)
                result.origins[key] = where
            new_components[ctype] = new_comps
        own["components"] = new_components
        return own
