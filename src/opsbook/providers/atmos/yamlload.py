"""Loading Atmos manifests: YAML with Atmos's functions (!env, !include, !unset, !append) and line numbers.

Every value keeps no position, but the loader records `path -> line` for each file so errors can say
`file:line`. Strings that hold a Go template (`{{ ... }}`) become `LocStr`, a `str` that remembers where
it came from, so a template that fails later still names its file and line.
Tags opsbook does not implement fail at load time with the tag's name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsbook.core.errors import InputError
from opsbook.core.yamlfile import SafeLoader, compose, read_text, yaml_error_line

MAX_FILE_DEPTH = 100  # files in one chain of imports or !includes (components in one of inherits)

UNSUPPORTED_TAGS = (
    "!terraform.output",
    "!terraform.state",
    "!store",
    "!store.get",
    "!exec",
    "!template",
    "!repo-root",
    "!cwd",
    "!include.raw",
    "!random",
    "!literal",
    "!aws.account_id",
    "!aws.caller_identity_arn",
    "!aws.region",
    "!aws.caller_identity_user_id",
    "!aws.organization_id",
    "!secret",
)


class LocStr(str):
    """A string that remembers `file:line` (used for templates, rendered after merging)."""

    where: str = ""

    def __new__(cls, value: str, where: str = "") -> LocStr:
        obj = super().__new__(cls, value)
        obj.where = where
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocStr, (str(self), self.where))

    def __deepcopy__(self, memo: dict[int, Any]) -> LocStr:
        return self


class Unset:
    """`!unset`: remove the key from the merged result."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __repr__(self) -> str:
        return "!unset"

    def __deepcopy__(self, memo: dict[int, Any]) -> Unset:
        return self


@dataclass
class Append:
    """`!append [..]`: append to the inherited list whatever the list merge strategy."""

    items: list[Any]
    where: str = ""


@dataclass
class Loaded:
    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def where(self, loc: tuple[Any, ...] = ()) -> str:
        for n in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:n]))
            if line:
                return f"{self.path}:{line}"
        return str(self.path)


def _fail(path: Path, node: yaml.Node, message: str) -> InputError:
    return InputError(f"{path}:{node.start_mark.line + 1}: {message}")


def chain_text(names: list[str]) -> str:
    """`a -> b -> c` for a chain of files, the middle of a long one elided (the message stays readable)."""
    if len(names) > 8:
        names = [*names[:3], f"... ({len(names) - 6} more)", *names[-3:]]
    return " -> ".join(names)


def check_chain(
    where: str, kind: str, chain: tuple[Path, ...], target: Path, name: Callable[[Path], str] = str
) -> None:
    """Refuse a cycle (a file that reaches itself) or a chain of more than `MAX_FILE_DEPTH` files."""
    if target in chain:
        cycle = chain_text([name(p) for p in (*chain, target)])
        raise InputError(f"{where}: {kind} cycle: {cycle}; remove one of these {kind}s")
    if len(chain) >= MAX_FILE_DEPTH:
        deep = chain_text([name(p) for p in (*chain, target)])
        raise InputError(f"{where}: {kind}s nested deeper than {MAX_FILE_DEPTH} files: {deep}")


class _Builder:
    """Turns a composed YAML node tree into plain data, handling Atmos's tags."""

    def __init__(
        self, path: Path, base_path: Path | None, raw_tags: bool, chain: tuple[Path, ...] = ()
    ) -> None:
        self.path = path
        self.base_path = base_path
        self.raw_tags = raw_tags
        self.chain = chain  # the files that !include this one, outermost first
        self.loader = SafeLoader("")
        self.lines: dict[tuple[Any, ...], int] = {}

    def build(self, node: yaml.Node, loc: tuple[Any, ...]) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        tag = node.tag or ""
        if tag.startswith("!") and not tag.startswith("!!"):
            return self._tagged(node, tag, loc)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    raise _fail(self.path, key_node, "a mapping key must be a scalar")
                self.lines[loc + (key,)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, loc + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str) and "{{" in value:
            return LocStr(value, f"{self.path}:{node.start_mark.line + 1}")
        return value

    def _scalar(self, node: yaml.Node, tag: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise _fail(self.path, node, f"{tag} takes a single string argument")
        return str(node.value).strip()

    def _tagged(self, node: yaml.Node, tag: str, loc: tuple[Any, ...]) -> Any:
        where = f"{self.path}:{node.start_mark.line + 1}"
        if self.raw_tags:  # schema validation sees tags as strings, as Atmos does
            if isinstance(node, yaml.ScalarNode):
                return f"{tag} {node.value}".strip()
            node.tag = (
                "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) else "tag:yaml.org,2002:map"
            )
            return self.build(node, loc)
        if tag == "!env":
            parts = self._scalar(node, tag).split()
            if not parts or len(parts) > 2:
                raise _fail(self.path, node, "!env takes a variable name and an optional default")
            value = os.environ.get(parts[0])
            if value is None:
                return parts[1] if len(parts) == 2 else None
            return value
        if tag == "!unset":
            return Unset(where)
        if tag == "!append":
            if not isinstance(node, yaml.SequenceNode):
                raise _fail(self.path, node, "!append must be followed by a list")
            node.tag = "tag:yaml.org,2002:seq"
            return Append(self.build(node, loc), where)
        if tag == "!include":
            return self._include(node)
        if tag in UNSUPPORTED_TAGS:
            raise _fail(
                self.path, node, f"the YAML function {tag} is not supported by opsbook; resolve it by hand"
            )
        raise _fail(
            self.path, node, f"unknown YAML tag {tag}; opsbook supports !env, !include, !unset, !append"
        )

    def _include(self, node: yaml.Node) -> Any:
        arg = self._scalar(node, "!include")
        parts = arg.split(maxsplit=1)
        if not parts:
            raise _fail(self.path, node, "!include needs a file path")
        if len(parts) > 1:
            raise _fail(self.path, node, "!include with a query (YQ expression) is not supported by opsbook")
        target_name = parts[0]
        if "://" in target_name:
            raise _fail(self.path, node, "!include of a remote URL is not supported by opsbook")
        candidates: list[Path] = []
        p = Path(target_name)
        if p.is_absolute():
            candidates.append(p)
        elif target_name.startswith("."):
            candidates.append(self.path.parent / p)
        else:
            if self.base_path is not None:
                candidates.append(self.base_path / p)
            candidates.append(self.path.parent / p)
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            raise _fail(self.path, node, f"!include: file {target_name} not found")
        suffix = target.suffix.lower()
        if suffix in (".yaml", ".yml"):
            where = f"{self.path}:{node.start_mark.line + 1}"
            chain = (*self.chain, self.path.resolve())
            check_chain(where, "!include", chain, target.resolve())
            return load_manifest(target, base_path=self.base_path, chain=chain).data
        if suffix == ".json":
            try:
                return json.loads(read_text(target))
            except json.JSONDecodeError as exc:
                raise InputError(f"{target}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
            except RecursionError:
                raise InputError(f"{target}: invalid JSON: nested too deeply") from None
        if suffix == ".tfvars":
            from opsbook.providers.atmos.tfvars import load_tfvars

            return load_tfvars(target)
        if suffix in (".hcl", ".tf"):
            raise _fail(self.path, node, f"!include of HCL ({suffix}) files is not supported by opsbook")
        return read_text(target)


def load_text(
    text: str,
    path: Path,
    base_path: Path | None = None,
    raw_tags: bool = False,
    chain: tuple[Path, ...] = (),
) -> Loaded:
    """Parse `text` (the content of `path`) into a `Loaded`, under core's safe-loading rules."""
    node = compose(text, path, InputError)
    if node is None:
        return Loaded(path, None, {})
    builder = _Builder(path, base_path, raw_tags, chain)
    try:
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        raise InputError(yaml_error_line(path, exc, text)) from None
    except RecursionError:  # bounded depth keeps this away; never let it out as a crash
        raise InputError(f"{path}: nested too deeply") from None
    return Loaded(path, data, builder.lines)


def load_manifest(
    path: Path,
    base_path: Path | None = None,
    raw_tags: bool = False,
    render: Callable[[str], str] | None = None,
    chain: tuple[Path, ...] = (),
) -> Loaded:
    """Read and parse one manifest. `render` pre-processes the text (Go templates of `.tmpl` imports);
    `chain` holds the files that !include this one (to refuse cycles)."""
    text = read_text(path)
    if render is not None:
        text = render(text)
    return load_text(text, path, base_path, raw_tags, chain)


def plain(value: Any) -> Any:
    """Deep copy into plain JSON/YAML-friendly types (LocStr -> str, markers dropped)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if not isinstance(v, Unset)}
    if isinstance(value, list):
        return [plain(v) for v in value if not isinstance(v, Unset)]
    if isinstance(value, Append):
        return [plain(v) for v in value.items]
    if isinstance(value, LocStr):
        return str(value)
    return value
