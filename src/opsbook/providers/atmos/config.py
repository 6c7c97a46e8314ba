"""`atmos.yaml`: where it is found, what opsbook reads from it, and the paths derived from it.

Found as Atmos does: an explicit directory (or file), else `ATMOS_CLI_CONFIG_PATH`, else the current
directory. Relative base paths are resolved against the directory holding `atmos.yaml`; the usual
`ATMOS_*` environment variables override the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsbook.core.errors import ConfigError
from opsbook.providers.atmos.yamlload import load_manifest, plain

CONFIG_NAMES = ("atmos.yaml", ".atmos.yaml", "atmos.yml", ".atmos.yml")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class TerraformSettings(_Loose):
    base_path: str = ""
    command: str = ""
    apply_auto_approve: bool = False
    deploy_run_init: bool = True
    init_run_reconfigure: bool = True
    auto_generate_backend_file: bool = False
    workspaces_enabled: bool | None = None


class ComponentsSettings(_Loose):
    terraform: TerraformSettings = Field(default_factory=TerraformSettings)


class StacksConfig(_Loose):
    base_path: str = ""
    included_paths: list[str] = Field(default_factory=list)
    excluded_paths: list[str] = Field(default_factory=list)
    name_pattern: str = ""
    name_template: str = ""


class WorkflowsConfig(_Loose):
    base_path: str = ""


class GlobalSettings(_Loose):
    list_merge_strategy: str | None = None


class AtmosFile(_Loose):
    base_path: str = ""
    components: ComponentsSettings = Field(default_factory=ComponentsSettings)
    stacks: StacksConfig = Field(default_factory=StacksConfig)
    workflows: WorkflowsConfig = Field(default_factory=WorkflowsConfig)
    settings: GlobalSettings = Field(default_factory=GlobalSettings)
    schemas: dict[str, Any] = Field(default_factory=dict)
    templates: dict[str, Any] = Field(default_factory=dict)


class AtmosConfig:
    """A loaded `atmos.yaml` with absolute paths."""

    def __init__(self, path: Path, raw: AtmosFile, lines: dict[tuple[Any, ...], int]) -> None:
        self.path = path
        self.dir = path.parent
        self.raw = raw
        self.lines = lines
        env = os.environ
        base = env.get("ATMOS_BASE_PATH") or raw.base_path or "."
        self.base_path = (self.dir / base).resolve()
        tf = raw.components.terraform
        self.terraform_base = (
            self.base_path / (env.get("ATMOS_COMPONENTS_TERRAFORM_BASE_PATH") or tf.base_path or ".")
        ).resolve()
        self.terraform_base_rel = os.path.normpath(
            os.path.join(base, env.get("ATMOS_COMPONENTS_TERRAFORM_BASE_PATH") or tf.base_path or ".")
        )
        self.terraform_command = env.get("ATMOS_COMPONENTS_TERRAFORM_COMMAND") or tf.command or "terraform"
        self.auto_generate_backend_file = tf.auto_generate_backend_file
        self.init_run_reconfigure = tf.init_run_reconfigure
        self.workspaces_enabled = tf.workspaces_enabled is not False
        stacks = raw.stacks
        self.stacks_base = (
            self.base_path / (env.get("ATMOS_STACKS_BASE_PATH") or stacks.base_path or ".")
        ).resolve()
        self.included_paths = _env_list("ATMOS_STACKS_INCLUDED_PATHS") or list(stacks.included_paths)
        self.excluded_paths = _env_list("ATMOS_STACKS_EXCLUDED_PATHS") or list(stacks.excluded_paths)
        self.name_pattern = env.get("ATMOS_STACKS_NAME_PATTERN") or stacks.name_pattern
        self.name_template = env.get("ATMOS_STACKS_NAME_TEMPLATE") or stacks.name_template
        wf = env.get("ATMOS_WORKFLOWS_BASE_PATH") or raw.workflows.base_path
        self.workflows_base = (self.base_path / wf).resolve() if wf else None
        self.list_merge_strategy = (
            env.get("ATMOS_SETTINGS_LIST_MERGE_STRATEGY") or raw.settings.list_merge_strategy or "replace"
        )
        jsonschema_cfg = (raw.schemas or {}).get("jsonschema") or {}
        js_base = jsonschema_cfg.get("base_path") if isinstance(jsonschema_cfg, dict) else None
        self.jsonschema_base = (self.base_path / js_base).resolve() if js_base else self.base_path
        tmpl = ((raw.templates or {}).get("settings") or {}) if isinstance(raw.templates, dict) else {}
        self.templates_enabled = tmpl.get("enabled", True) is not False

    def where(self, *loc: Any) -> str:
        for n in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:n]))
            if line:
                return f"{self.path}:{line}"
        return str(self.path)


def _env_list(name: str) -> list[str]:
    """A comma-separated list from the environment, as Atmos splits `ATMOS_STACKS_*_PATHS`."""
    value = os.environ.get(name)
    return value.split(",") if value else []


def find_config(explicit: str | Path | None = None, cwd: Path | None = None) -> Path:
    """Locate atmos.yaml: `explicit` (dir or file), else $ATMOS_CLI_CONFIG_PATH, else the cwd."""
    sources: list[tuple[str, Path]] = []
    if explicit:
        sources.append(("--atmos-config", Path(explicit)))
    elif os.environ.get("ATMOS_CLI_CONFIG_PATH"):
        sources.append(("ATMOS_CLI_CONFIG_PATH", Path(os.environ["ATMOS_CLI_CONFIG_PATH"])))
    else:
        sources.append(("the current directory", cwd or Path.cwd()))
    origin, where = sources[0]
    if where.is_file():
        return where.resolve()
    for name in CONFIG_NAMES:
        candidate = where / name
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(
        f"{where}: no atmos.yaml found (looked in {origin}); "
        "pass --atmos-config DIR or set ATMOS_CLI_CONFIG_PATH"
    )


def load_config(explicit: str | Path | None = None, cwd: Path | None = None) -> AtmosConfig:
    path = find_config(explicit, cwd)
    loaded = load_manifest(path)
    data = plain(loaded.data) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: atmos.yaml must be a mapping")
    try:
        raw = AtmosFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise ConfigError(f"{loaded.where(loc)}: {'.'.join(map(str, loc))}: {err['msg']}") from None
    return AtmosConfig(path, raw, loaded.lines)
