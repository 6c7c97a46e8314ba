"""Stacks: which manifests are stacks, their names, and every component fully resolved.

Per component, each section merges: global -> `<type>:` section -> base components (the `component:`
base, then `metadata.inherits` in list order, each already expanded; later wins) -> the component ->
its file-scoped `overrides`. Go templates in values are rendered last, against the resolved component.
Which manifests are stacks: `stacks.included_paths` minus `excluded_paths`, doublestar globs (globs.py).
Which base component (and so folder and workspace) a component has: bases.py.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsbook.core.errors import ConfigError, InputError, NotFound
from opsbook.core.yamlfile import printable
from opsbook.providers.atmos import globs
from opsbook.providers.atmos.bases import base_component, is_abstract
from opsbook.providers.atmos.bases import folder as folder_of
from opsbook.providers.atmos.config import AtmosConfig, load_config
from opsbook.providers.atmos.imports import EXTENSIONS, FileResult, ImportProcessor, with_extensions
from opsbook.providers.atmos.merge import check_strategy, merge, merge_all
from opsbook.providers.atmos.template import TemplateError, render
from opsbook.providers.atmos.yamlload import MAX_FILE_DEPTH, LocStr, chain_text, plain

# sections merged global -> type -> chain -> component -> overrides (g: has a global level, o: overridable)
MAP_SECTIONS = {
    "vars": (True, True),
    "settings": (True, True),
    "env": (True, True),
    "hooks": (True, True),
    "providers": (False, True),
    "backend": (False, False),
    "remote_state_backend": (False, False),
    "generate": (True, True),
    "auth": (True, True),
    "required_providers": (False, True),
    "provision": (False, False),
    "source": (False, False),
}
SCALAR_SECTIONS = ("backend_type", "remote_state_backend_type", "command", "required_version")
NOT_INHERITED_METADATA = ("inherits", "type")


@contextmanager
def malformed(where: str) -> Iterator[None]:
    """A section of the wrong type (a list where a mapping belongs, a mapping as a key) that slipped past
    the checks becomes an InputError naming the manifest, never a crash. `stacks validate` names the
    exact line through the manifest schema."""
    try:
        yield
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        raise InputError(
            f"{where}: malformed stack manifest ({type(exc).__name__}: {printable(str(exc))}); "
            "run `opsbook stacks validate` for the line"
        ) from exc


@dataclass
class Stack:
    name: str
    manifest: str  # stack-relative path without extension
    path: Path
    explicit_name: bool
    result: FileResult
    raw_components: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<type>/<name>" -> section


def _token_name(pattern: str, vars_: dict[str, Any], where: str) -> str:
    out = pattern
    for token in [t for t in _tokens(pattern)]:
        value = vars_.get(token)
        if value in (None, ""):
            raise InputError(
                f"{where}: name_pattern {pattern!r} needs vars.{token}, which the manifest does not set"
            )
        out = out.replace("{" + token + "}", str(value))
    return out


def _inheritable(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k not in NOT_INHERITED_METADATA}


def _tokens(pattern: str) -> list[str]:
    import re

    return re.findall(r"\{([A-Za-z0-9_-]+)\}", pattern)


class Stacks:
    """All stacks under one atmos.yaml. Resolution is lazy and cached per (stack, component)."""

    def __init__(self, config: AtmosConfig) -> None:
        self.config = config
        self.strategy = check_strategy(
            config.list_merge_strategy, config.where("settings", "list_merge_strategy")
        )
        self.processor = ImportProcessor(config.stacks_base, config.base_path, self.strategy)
        self._stacks: dict[str, list[Stack]] | None = None
        self._resolved: dict[tuple[str, str], dict[str, Any]] = {}

    @classmethod
    def load(cls, atmos_config: str | Path | None = None) -> Stacks:
        return cls(load_config(atmos_config))

    # ---- manifests and names -------------------------------------------------------------
    def manifest_paths(self) -> list[Path]:
        base = self.config.stacks_base
        if not base.is_dir():
            raise InputError(
                f"{self.config.where('stacks', 'base_path')}: stacks base path {base} does not exist"
            )
        included: set[Path] = set()
        for idx, pattern in enumerate(self.config.included_paths or ["**/*"]):
            with self._bad_glob("included_paths", idx, pattern):
                for candidate in with_extensions(pattern):
                    included.update(globs.glob(base, candidate))
        excluded = self.config.excluded_paths
        for idx, pattern in enumerate(excluded):
            with self._bad_glob("excluded_paths", idx, pattern):
                globs.compile_glob(globs.split_root(base, pattern)[1])
        paths = [
            p
            for p in included
            if p.name.endswith(EXTENSIONS) and not any(globs.matches(base, x, p) for x in excluded)
        ]
        return sorted(paths, key=lambda p: p.relative_to(base).as_posix())

    @contextmanager
    def _bad_glob(self, key: str, idx: int, pattern: str) -> Iterator[None]:
        try:
            yield
        except globs.GlobError as exc:
            raise ConfigError(
                f"{self.config.where('stacks', key, idx)}: stacks.{key} pattern '{printable(pattern)}': {exc}"
            ) from None

    def _name(self, loaded_data: dict[str, Any], result: FileResult, path: Path) -> tuple[str, bool]:
        rel = self.processor.rel(path)
        loaded = result.lines[rel]
        if loaded_data.get("name"):
            return str(loaded_data["name"]), True
        vars_ = plain(merge(result.data.get("vars") or {}, {}))
        if self.config.name_template:
            ctx = {
                "vars": vars_,
                "settings": result.data.get("settings") or {},
                "env": result.data.get("env") or {},
            }
            try:
                return render(self.config.name_template, ctx), False
            except TemplateError as exc:
                raise InputError(
                    f"{loaded.path}:1: stack name template {self.config.name_template!r} "
                    f"({self.config.where('stacks', 'name_template')}) {exc}; set it in the manifest's vars "
                    "or exclude the file with stacks.excluded_paths"
                ) from None
        if self.config.name_pattern:
            where = f"{loaded.path}:1 (name_pattern at {self.config.where('stacks', 'name_pattern')})"
            return _token_name(self.config.name_pattern, vars_, where), False
        return rel, False

    def build(self, path: Path) -> Stack:
        """One stack manifest, merged with its imports and named."""
        with malformed(str(path)):
            return self._build(path)

    def _build(self, path: Path) -> Stack:
        result = self.processor.process(path)
        top = result.lines[self.processor.rel(path)].data
        name, explicit = self._name(top, result, path)
        stack = Stack(name, self.processor.rel(path), path.resolve(), explicit, result)
        for ctype, comps in (result.data.get("components") or {}).items():
            for cname, section in (comps or {}).items():
                stack.raw_components[f"{ctype}/{cname}"] = section
        return stack

    def use(self, stacks: list[Stack]) -> None:
        """Adopt already-built stacks (validation builds them one by one to collect every problem)."""
        out: dict[str, list[Stack]] = {}
        for stack in stacks:
            out.setdefault(stack.name, []).append(stack)
        self._stacks = dict(sorted(out.items()))

    def stacks(self) -> dict[str, list[Stack]]:
        if self._stacks is None:
            self.use([self.build(path) for path in self.manifest_paths()])
        assert self._stacks is not None
        return self._stacks

    def names(self) -> list[str]:
        return list(self.stacks())

    def find(self, name: str, key: str | None = None) -> Stack:
        """The manifest of stack `name` (the last one defining `key`, "<type>/<component>", if given)."""
        stacks = self.stacks()
        if name in stacks:
            group = stacks[name]
            defining = [s for s in group if key in s.raw_components] if key else []
            return (defining or group)[-1]
        for group in stacks.values():
            for stack in group:
                if stack.manifest == name and not stack.explicit_name:
                    return stack
        named = [s for g in stacks.values() for s in g if s.manifest == name]
        hint = f" (the manifest {named[0].manifest} is named '{named[0].name}')" if named else ""
        close = difflib.get_close_matches(name, list(stacks), n=3)
        also = f"; did you mean {', '.join(close)}?" if close and not named else ""
        raise NotFound(
            f"invalid stack '{name}'{hint}{also}; run `opsbook stacks list` to see the stack names"
        )

    # ---- components ----------------------------------------------------------------------
    def component(self, component: str, stack: str, ctype: str = "terraform") -> dict[str, Any]:
        """The resolved section of `component` in `stack`; NotFound names what is missing."""
        return self.component_in(self.find(stack, f"{ctype}/{component}"), component, ctype)

    def component_in(self, st: Stack, component: str, ctype: str = "terraform") -> dict[str, Any]:
        key = (st.name + "\0" + st.manifest, f"{ctype}/{component}")
        if key not in self._resolved:
            if f"{ctype}/{component}" not in st.raw_components:
                group = (self._stacks or {}).get(st.name, [st])
                keys = {k for g in group for k in g.raw_components}
                names = sorted(k.split("/", 1)[1] for k in keys if k.startswith(ctype + "/"))
                close = difflib.get_close_matches(component, names, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise NotFound(
                    f"invalid component '{component}': not defined in stack '{st.name}'"
                    f"{hint}; are the component and stack names right, "
                    "or is an import missing?"
                )
            with malformed(st.result.origins.get(f"{ctype}/{component}", str(st.path))):
                self._resolved[key] = self._resolve(st, ctype, component)
        return self._resolved[key]

    def _chain(self, st: Stack, ctype: str, name: str, seen: tuple[str, ...]) -> list[str]:
        section = st.raw_components[f"{ctype}/{name}"]
        where = st.result.origins.get(f"{ctype}/{name}", str(st.path))
        bases: list[str] = []
        top = section.get("component")
        if top is not None and not isinstance(top, str):
            raise InputError(f"{where}: 'component' of '{name}' must be a component name")
        # Atmos follows a base's own `component:` only when that base is not abstract
        if top and top != name and not (seen and is_abstract(section)):
            if f"{ctype}/{top}" in st.raw_components:
                bases.append(top)
            else:
                self._check_folder(st, ctype, name, top, where)
        inherits = (section.get("metadata") or {}).get("inherits") or []
        if not isinstance(inherits, list):
            raise InputError(f"{where}: metadata.inherits of '{name}' must be a list of component names")
        bases += [str(b) for b in inherits]
        if bases and len(seen) >= MAX_FILE_DEPTH:
            deep = chain_text([*seen, name])
            raise InputError(f"{where}: inheritance nested deeper than {MAX_FILE_DEPTH} components: {deep}")
        out: list[str] = []
        for base in bases:
            if base in seen or base == name:
                cycle = " -> ".join((*seen, name, base))
                raise InputError(f"{where}: inheritance cycle: {cycle}; remove one of these inherits")
            if f"{ctype}/{base}" not in st.raw_components:
                raise InputError(
                    f"{where}: component '{name}' inherits from '{base}', which is not defined in stack "
                    f"'{st.name}'; define it or import the file that does"
                )
            for item in [*self._chain(st, ctype, base, (*seen, name)), base]:
                if item not in out:
                    out.append(item)
        return out

    def _check_folder(self, st: Stack, ctype: str, name: str, top: str, where: str) -> None:
        """`component: X` with X not a component of the stack: Atmos accepts it only when X is a
        folder of that component type (and then X is not the base component; see bases.py)."""
        if not (self._type_dir(ctype) / top).is_dir():
            raise InputError(
                f"{where}: component '{name}' has 'component: {top}', but '{top}' is neither a component "
                f"of stack '{st.name}' nor a folder under {self._type_dir(ctype)}; fix the name, define it "
                "or import the file that does"
            )

    def _type_dir(self, ctype: str) -> Path:
        return self.config.terraform_base if ctype == "terraform" else self.config.base_path / ctype

    def _resolve(self, st: Stack, ctype: str, name: str) -> dict[str, Any]:
        data = st.result.data
        typed = data.get(ctype) or {}
        chain = self._chain(st, ctype, name, ())
        layers = [st.raw_components[f"{ctype}/{b}"] for b in chain] + [st.raw_components[f"{ctype}/{name}"]]
        own = layers[-1]
        overrides = own.get("overrides") or {}
        settings0 = merge_all(
            [data.get("settings"), typed.get("settings")] + [s.get("settings") for s in layers]
        )
        where = st.result.origins.get(f"{ctype}/{name}", str(st.path))
        strategy = check_strategy(settings0.get("list_merge_strategy") or self.strategy, where)
        out: dict[str, Any] = {}
        for section, (has_global, overridable) in MAP_SECTIONS.items():
            parts = [data.get(section) if has_global else None, typed.get(section)]
            parts += [layer.get(section) for layer in layers]
            if overridable:
                parts.append(overrides.get(section))
            out[section] = merge_all(parts, strategy)
        for section in SCALAR_SECTIONS:
            value: Any = ""
            for part in [typed, *layers, overrides]:
                if part.get(section) not in (None, ""):
                    value = part[section]
            out[section] = value
        metadata = merge_all(
            [data.get("metadata")]
            + [
                {k: v for k, v in (b.get("metadata") or {}).items() if k not in NOT_INHERITED_METADATA}
                for b in layers[:-1]
            ]
            + [own.get("metadata")],
            strategy,
        )
        base = base_component(own, st.raw_components, ctype, name)
        folder = folder_of(metadata, base)
        base_dir = self._type_dir(ctype)
        rel_dir = self.config.terraform_base_rel if ctype == "terraform" else ctype
        out.update(
            atmos_component=name,
            atmos_manifest=st.manifest,
            atmos_stack=st.name,
            atmos_stack_file=st.manifest,
            component=base,
            component_info={
                "component_path": os.path.normpath(os.path.join(rel_dir, folder)),
                "component_type": ctype,
            },
            inheritance=list(reversed(chain)),
            metadata=metadata,
            overrides=plain(overrides),
            stack=st.name,
        )
        out["component_info"]["abs_path"] = str((base_dir / folder).resolve())
        if ctype == "terraform":
            self._terraform_specifics(out, name, base, folder, st)
        out = _render_all(out, out) if self.config.templates_enabled else out
        return plain(out)

    def _terraform_specifics(self, out: dict[str, Any], name: str, base: str, folder: str, st: Stack) -> None:
        """Backend defaults (the S3 key prefix is the base component's name, as Atmos's) and the workspace:
        the stack name, or `<stack>-<component>` when the component has a base (its folder is not its
        own name); `metadata.terraform_workspace[_pattern]` wins."""
        out["command"] = out["command"] or self.config.terraform_command
        backend_type = out["backend_type"] or ""
        backends = out["backend"]
        backend = dict(backends.get(backend_type) or {}) if backend_type else {}
        if backend_type == "s3" and "workspace_key_prefix" not in backend:
            backend["workspace_key_prefix"] = base.replace("/", "-")
        out["backend"] = backend
        rs_type = out["remote_state_backend_type"] or backend_type
        rs = merge(backend, (out["remote_state_backend"] or {}).get(rs_type) or {}) if rs_type else {}
        out["remote_state_backend_type"] = rs_type
        out["remote_state_backend"] = rs
        meta = out["metadata"]
        if meta.get("terraform_workspace"):
            workspace = str(meta["terraform_workspace"])
        elif meta.get("terraform_workspace_pattern"):
            ctx = dict(out["vars"], component=name, **{"base-component": folder})
            workspace = _token_name(str(meta["terraform_workspace_pattern"]), ctx, str(st.path))
        elif folder != name:
            workspace = f"{st.name}-{name}"
        else:
            workspace = st.name
        out["workspace"] = workspace.replace("/", "-")

    # ---- describe ------------------------------------------------------------------------
    def describe_stacks(
        self, stack: str | None = None, components: list[str] | None = None
    ) -> dict[str, Any]:
        """`atmos describe stacks`: {stack: {components: {terraform: {name: section}}}}."""
        out: dict[str, Any] = {}
        names = [self.find(stack).name] if stack else self.names()
        for sname in names:
            comps: dict[str, dict[str, Any]] = {}
            for st in self.stacks()[sname]:
                for key in st.raw_components:
                    ctype, cname = key.split("/", 1)
                    if components and cname not in components:
                        continue
                    section = self.component_in(st, cname, ctype)
                    comps.setdefault(ctype, {})[cname] = public(section)
            if comps:
                out[sname] = {"components": {t: dict(sorted(c.items())) for t, c in sorted(comps.items())}}
        return out

    def describe_component(self, component: str, stack: str, ctype: str = "terraform") -> dict[str, Any]:
        """`atmos describe component`: the resolved section plus imports and dependencies."""
        st = self.find(stack, f"{ctype}/{component}")
        section = dict(self.component_in(st, component, ctype))
        defines = st.result.defines
        deps = {st.manifest}
        for key in ("vars", "settings", "env", ctype):
            deps.update(defines.get(key, []))
        chain = [component, *section.get("inheritance", [])]
        for comp in chain:
            deps.update(defines.get(f"{ctype}/{comp}", []))
        section.update(
            component_type=ctype,
            deps=sorted(deps),
            deps_all=sorted({st.manifest, *st.result.imports}),
            imports=sorted(st.result.imports),
        )
        return public(section)


def public(section: dict[str, Any]) -> dict[str, Any]:
    """The section as printed: sorted keys, internal fields removed."""
    out = {k: v for k, v in sorted(section.items())}
    info = dict(out.get("component_info") or {})
    info.pop("abs_path", None)
    out["component_info"] = info
    return out


def component_dir(section: dict[str, Any]) -> Path:
    return Path(section["component_info"]["abs_path"])


def _render_all(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _render_all(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_all(v, context) for v in value]
    if isinstance(value, LocStr):
        try:
            return render(str(value), context)
        except TemplateError as exc:
            raise InputError(f"{value.where}: template {str(value)!r} {exc}") from None
    return value
