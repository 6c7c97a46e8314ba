"""`stacks validate`: every problem in an Atmos tree as (file, line, message).

Checks, in order: atmos.yaml loads; every manifest under the stacks base parses and matches opsbook's
manifest schema; every stack's imports resolve without cycles; every component resolves (inheritance
without cycles, templates render); a component defined by several manifests of the same stack name
resolves the same in each; components that declare `settings.validation` match their JSON Schemas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from opsbook.core.errors import OpsbookError
from opsbook.core.yamlfile import printable
from opsbook.providers.atmos.config import AtmosConfig, load_config
from opsbook.providers.atmos.imports import EXTENSIONS
from opsbook.providers.atmos.resolver import Stack, Stacks
from opsbook.providers.atmos.schema.build import manifest_schema
from opsbook.providers.atmos.yamlload import Loaded, load_manifest

_LOCATED = re.compile(r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.*)$", re.S)
_FILE_ONLY = re.compile(r"^(?P<file>[^\s:][^:]*?): (?P<msg>.*)$", re.S)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}" + (f":{self.column}" if self.column else "")
        return printable(f"{where}: {self.message}")

    @classmethod
    def from_error(cls, exc: BaseException, default_file: str = "") -> Problem:
        text = str(exc)
        m = _LOCATED.match(text)
        if m:
            return cls(m["file"], int(m["line"]), m["msg"], int(m["col"]) if m["col"] else None)
        m = _FILE_ONLY.match(text)
        if m and ("/" in m["file"] or "." in m["file"]):
            return cls(m["file"], None, m["msg"])
        return cls(default_file, None, text)


def _line(where: str) -> int | None:
    tail = where.rsplit(":", 1)[-1] if where.count(":") else ""
    return int(tail) if tail.isdigit() else None


def _key_problems(loaded: Loaded, node: Any, path: tuple[Any, ...] = ()) -> list[Problem]:
    """Mapping keys that are not strings (`1:`, `true:`, `null:`): a manifest's keys are names, and the schema
    (JSON) can only judge string keys."""
    out: list[Problem] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                dotted = ".".join(map(str, (*path, key)))
                line = _line(loaded.where((*path, key))) or _line(loaded.where(path))
                out.append(
                    Problem(str(loaded.path), line, f"{dotted}: key {key!r} is not a string (quote it)")
                )
            out += _key_problems(loaded, value, (*path, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            out += _key_problems(loaded, value, (*path, n))
    return out


def _string_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node


def schema_problems(loaded: Loaded) -> list[Problem]:
    """Problems of one manifest (loaded with raw tags) against opsbook's manifest schema."""
    validator = jsonschema.Draft202012Validator(manifest_schema())
    out = _key_problems(loaded, loaded.data)
    data = _string_keys(loaded.data) if out else loaded.data
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        best = jsonschema.exceptions.best_match([err]) or err
        path = tuple(best.absolute_path)
        line = _line(loaded.where(path))
        dotted = ".".join(map(str, path)) or "(top level)"
        out.append(Problem(str(loaded.path), line, f"{dotted}: {best.message} (stack manifest schema)"))
    return out


def _all_manifests(config: AtmosConfig) -> list[Path]:
    base = config.stacks_base
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and p.name.endswith(EXTENSIONS))


def _component_schema(config: AtmosConfig, spec: dict[str, Any], where: str) -> tuple[Any, str | None]:
    path_text = str(spec.get("schema_path") or "")
    if not path_text:
        return None, f"{where}: settings.validation entry has no schema_path"
    candidates = (
        [Path(path_text)]
        if Path(path_text).is_absolute()
        else [
            config.jsonschema_base / path_text,
            config.base_path / path_text,
        ]
    )
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        return None, f"{where}: validation schema {path_text} not found under {config.jsonschema_base}"
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except json.JSONDecodeError as exc:
        return None, f"{path}:{exc.lineno}: invalid JSON Schema: {exc.msg}"


def component_validation(config: AtmosConfig, section: dict[str, Any], where: str) -> list[Problem]:
    """Validate one resolved component against the JSON Schemas its `settings.validation` names."""
    out: list[Problem] = []
    validation = (section.get("settings") or {}).get("validation") or {}
    if not isinstance(validation, dict):
        return [Problem.from_error(Exception(f"{where}: settings.validation must be a mapping"))]
    label = f"component '{section.get('atmos_component')}' in stack '{section.get('atmos_stack')}'"
    for name, spec in validation.items():
        if not isinstance(spec, dict) or spec.get("disabled"):
            continue
        kind = spec.get("schema_type", "jsonschema")
        if kind != "jsonschema":
            out.append(
                Problem.from_error(
                    Exception(
                        f"{where}: {label}: validation '{name}' uses schema_type {kind}, "
                        "not supported by opsbook (only jsonschema)"
                    )
                )
            )
            continue
        schema, error = _component_schema(config, spec, where)
        if error:
            out.append(Problem.from_error(Exception(error)))
            continue
        try:
            validator_cls = jsonschema.validators.validator_for(schema)
            validator_cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            out.append(
                Problem.from_error(Exception(f"{where}: validation '{name}': invalid schema: {exc.message}"))
            )
            continue
        for err in validator_cls(schema).iter_errors(section):
            dotted = ".".join(map(str, err.absolute_path)) or "(component)"
            out.append(
                Problem.from_error(
                    Exception(f"{where}: {label}: {dotted}: {err.message} (validation '{name}')")
                )
            )
    return out


def _stack_problems(stacks: Stacks, config: AtmosConfig, name: str, group: list[Stack]) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for st in group:
        for key in st.raw_components:
            ctype, comp = key.split("/", 1)
            where = st.result.origins.get(key, str(st.path))
            try:
                section = stacks.component_in(st, comp, ctype)
            except OpsbookError as exc:
                out.append(Problem.from_error(exc, str(st.path)))
                continue
            comparable = {k: v for k, v in section.items() if k not in ("atmos_manifest", "atmos_stack_file")}
            if key in seen and seen[key][1] != comparable:
                out.append(
                    Problem.from_error(
                        Exception(
                            f"{where}: component '{comp}' of stack '{name}' is also defined by "
                            f"{seen[key][0]} with a different configuration; keep one definition"
                        )
                    )
                )
            seen.setdefault(key, (st.manifest, comparable))
            out += component_validation(config, section, where)
    return out


def validate_stacks(atmos_dir: str | Path | None = None) -> list[Problem]:
    """All problems of the Atmos tree whose atmos.yaml is in (or is) `atmos_dir`; [] when valid.

    `atmos_dir=None` finds atmos.yaml as Atmos does ($ATMOS_CLI_CONFIG_PATH, then the current directory).
    """
    try:
        config = load_config(atmos_dir)
    except OpsbookError as exc:
        return [Problem.from_error(exc, str(atmos_dir or "atmos.yaml"))]
    problems: list[Problem] = []
    for path in _all_manifests(config):
        try:
            loaded = load_manifest(path, base_path=config.base_path, raw_tags=True)
        except OpsbookError as exc:
            problems.append(Problem.from_error(exc, str(path)))
            continue
        if loaded.data is not None:
            problems += schema_problems(loaded)
    try:
        stacks = Stacks(config)
        manifests = stacks.manifest_paths()
    except OpsbookError as exc:
        return [*problems, Problem.from_error(exc, str(config.path))]
    built: list[Stack] = []
    for path in manifests:
        try:
            built.append(stacks.build(path))
        except OpsbookError as exc:
            problem = Problem.from_error(exc, str(path))
            if problem not in problems:
                problems.append(problem)
    stacks.use(built)
    for name, group in stacks.stacks().items():
        for problem in _stack_problems(stacks, config, name, group):
            if problem not in problems:
                problems.append(problem)
    return problems
