"""The drift seam shared by every drift kind (docs/drift.md): kind -> check id, the details keys a drift
finding carries, and the ignores file (accepted drift with a reason and an expiry).

A drift check (cadence `weekly:friday`) reports each drifted resource as a failing finding with details
`stack`, `component`, `address`, `attributes` ({name: [before, after]}, secrets masked) and `file` (the
stack manifest), and an ignored one as SKIPPED with details `ignored` ({until, reason}).

Ignores live in a YAML file (`ignores_path`): `$OPSBOOK_DRIFT_IGNORES`, else `drift-ignores.yaml` beside
opsbook.yaml, else `.opsbook/drift-ignores.yaml` (the sandbox). A file a team keeps in git and reviews.
An ignore matches an address in a stack, all its attributes or one; it applies through its `until` day
(UTC) and is drift again from the day after.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.settings import CheckSettings
from opsbook.core.yamlfile import load_located

KINDS = {"plan": "drift.terraform_plan", "live": "drift.state_vs_live", "unmanaged": "drift.unmanaged"}
DETAIL_KEYS = ("stack", "component", "address", "attributes", "file")
IGNORES_FILE = "drift-ignores.yaml"


class InstanceSelection(CheckSettings):
    """The settings of a drift check that narrows to stacks and components: `drift detect --stack/--component`
    sets them (engine/drift.py detect_request), `checks.<id>.stacks:` in opsbook.yaml does for scheduled runs."""

    stacks: list[str] = Field(default_factory=list, description="Only these stacks (default: every stack).")
    components: list[str] = Field(
        default_factory=list, description="Only these components (default: every deployable one)."
    )

    def selects(self, stack: str, component: str) -> bool:
        return (not self.stacks or stack in self.stacks) and (
            not self.components or component in self.components
        )


class Ignore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(min_length=1)
    stack: str = Field(min_length=1)
    attribute: str | None = None  # None: every attribute of the address
    until: date
    reason: str = Field(min_length=1)
    added: date | None = None

    def active(self, now: datetime) -> bool:
        return now.date() <= self.until

    def covers(self, stack: str, address: str, attribute: str | None = None) -> bool:
        if (self.stack, self.address) != (stack, address):
            return False
        return self.attribute is None or attribute == self.attribute


def ignores_path(cfg: Config | None) -> Path:
    env = os.environ.get("OPSBOOK_DRIFT_IGNORES")
    if env:
        return Path(env)
    source = Path(cfg.source) if cfg is not None and cfg.source else None
    if source is not None and source.is_file():
        return source.parent / IGNORES_FILE
    return Path(".opsbook") / IGNORES_FILE


def load_ignores(path: Path) -> list[Ignore]:
    """Every ignore in the file (none when it does not exist); a bad entry is an InputError at file:line."""
    if not path.exists():
        return []
    located = load_located(path)
    data = located.data or {}
    entries = data.get("ignores") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a mapping with an `ignores:` list")
    out = []
    for i, raw in enumerate(entries):
        try:
            out.append(Ignore.model_validate(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ("ignores", i, *err["loc"])
            raise InputError(
                f"{located.where(loc)}: {'.'.join(map(str, err['loc'])) or 'entry'}: {err['msg']}"
            ) from None
    return out


def save_ignores(path: Path, ignores: list[Ignore]) -> None:
    """Write the whole file atomically (a crash leaves the old file, never half of the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [i.model_dump(mode="json", exclude_none=True) for i in ignores]
    text = "# opsbook drift ignores: accepted drift, with a reason and an expiry (opsbook drift ignore)\n"
    text += yaml.safe_dump({"ignores": rows}, sort_keys=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_ignores(
    ignores: list[Ignore], now: datetime, stack: str, address: str, attributes: dict[str, Any]
) -> tuple[dict[str, Any], list[Ignore]]:
    """(the attributes no active ignore covers, the active ignores that covered something). An address whose
    attributes are all covered (or an ignore of the whole address) is ignored: nothing is left."""
    active = [i for i in ignores if i.active(now) and i.covers(stack, address, i.attribute)]
    whole = [i for i in active if i.attribute is None]
    if whole:
        return {}, whole
    left, used = dict(attributes), []
    for ign in active:
        if ign.attribute in left:
            del left[ign.attribute]
            used.append(ign)
    if attributes and not left:
        return {}, used
    return left, used
