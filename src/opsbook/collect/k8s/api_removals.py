"""The table of Kubernetes API removals (`api_removals.yaml`, data kept beside this loader) and what the
upgrade pre-flight derives from it: which removed versions a manifest or a client may still name, and
which current endpoints to list to find objects last applied with one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from opsbook.core.kube_versions import Minor, minor_of

TABLE = Path(__file__).with_name("api_removals.yaml")


@dataclass(frozen=True)
class ApiRemoval:
    api_version: str  # group/version, e.g. extensions/v1beta1
    kind: str
    resource: str
    deprecated_in: str
    removed_in: str
    replacement: str | None
    source: str
    scan: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def removed(self) -> Minor:
        return _minor(self.removed_in)

    @property
    def deprecated(self) -> Minor:
        return _minor(self.deprecated_in)


def _minor(text: str) -> Minor:
    found = minor_of(text)
    if found is None:
        raise ValueError(f"{TABLE.name}: {text!r} is not a MAJOR.MINOR release")
    return found


@cache
def removals() -> tuple[ApiRemoval, ...]:
    doc = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    rows = tuple(ApiRemoval(**row) for row in doc["removals"])
    for row in rows:  # a malformed release fails here, once, not inside a check
        _minor(row.removed_in), _minor(row.deprecated_in)
    return rows


def find(api_version: str, kind: str) -> ApiRemoval | None:
    return next((r for r in removals() if r.api_version == api_version and r.kind == kind), None)


def find_resource(group: str, version: str, resource: str) -> ApiRemoval | None:
    api_version = f"{group}/{version}" if group else version
    return next((r for r in removals() if r.api_version == api_version and r.resource == resource), None)


def current(entry: ApiRemoval) -> str | None:
    """Where the kind lives now: the end of its chain of replacements (v1beta1 -> v1beta2 -> v1)."""
    seen = {entry.api_version}
    api_version = entry.replacement
    while api_version is not None:
        later = find(api_version, entry.kind)
        if later is None or later.api_version in seen:
            return api_version
        seen.add(later.api_version)
        api_version = later.replacement
    return None


@cache
def scanned() -> tuple[tuple[str, str, str], ...]:
    """(group, version, resource) of each current endpoint whose objects may carry a last-applied
    configuration naming a removed version: one listing each, in table order."""
    out: dict[tuple[str, str, str], None] = {}
    for entry in removals():
        now = current(entry) if entry.scan else None
        if now is not None:
            group, _, version = now.rpartition("/")
            out[(group, version, entry.resource)] = None
    return tuple(out)
