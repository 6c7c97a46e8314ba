"""The drift table (drift_table.yaml beside this file): Terraform resource type -> its live item and the attributes
to compare, validated when loaded (a bad entry is one `file:line:col: type.field: message` ConfigError)."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from opsbook.collect.aws.drift_models import rule_key
from opsbook.core.config import validation_error
from opsbook.core.errors import ConfigError
from opsbook.core.yamlfile import load_located

TABLE = Path(__file__).with_name("drift_table.yaml")
STRICT = ConfigDict(extra="forbid", frozen=True)


def tf_sg_rules(blocks: Any) -> list[str]:
    """Terraform's `ingress`/`egress` blocks of an aws_security_group as rule keys, sorted."""
    out: set[str] = set()
    for b in blocks or []:
        sources = [
            *(b.get("cidr_blocks") or []),
            *(b.get("ipv6_cidr_blocks") or []),
            *(b.get("security_groups") or []),
            *(b.get("prefix_list_ids") or []),
        ]
        out.update(rule_key(b.get("protocol"), b.get("from_port"), b.get("to_port"), s) for s in sources)
    return sorted(out)


def tf_sg_rule(attrs: Any) -> str:
    """An aws_vpc_security_group_{ingress,egress}_rule's attributes as one rule key."""
    source = next(
        (attrs.get(k) for k in ("cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id")
         if attrs.get(k)),
        "",
    )  # fmt: skip
    return rule_key(attrs.get("ip_protocol"), attrs.get("from_port"), attrs.get("to_port"), source)


NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "tags": lambda v: {str(k): str(x) for k, x in (v or {}).items()},
    "sorted": lambda v: sorted(v or []),
    "bool": bool,
    "text": lambda v: "" if v is None else str(v),
    "versioning": lambda v: "Disabled" if v in (None, "", "Disabled") else str(v),
    "internal": lambda v: v == "internal",
    "tf_sg_rules": tf_sg_rules,
    "tf_sg_rule": tf_sg_rule,
}


def fields_of(template: str) -> list[str]:
    """The fields a `{attr}` template reads; ValueError for a malformed one."""
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    if not names or any(not n for n in names):
        raise ValueError(f"{template!r} must name at least one {{field}}")
    return names


class Compare(BaseModel):
    model_config = STRICT

    state: str | None = None  # default: the attribute's own name
    live: str
    normalise: str | None = None
    state_normalise: str | None = None
    live_normalise: str | None = None
    contains: bool = False

    @field_validator("normalise", "state_normalise", "live_normalise")
    @classmethod
    def known(cls, v: str | None) -> str | None:
        if v is not None and v not in NORMALISERS:
            raise ValueError(f"unknown normaliser {v!r} (have: {', '.join(sorted(NORMALISERS))})")
        return v

    def normalised(self, value: Any, side: str) -> Any:
        name = (self.state_normalise if side == "state" else self.live_normalise) or self.normalise
        return NORMALISERS[name](value) if name else value


class ConfigMap(BaseModel):
    """The type as AWS Config's advanced query knows it, and which of its properties is the state key."""

    model_config = STRICT

    type: str = Field(pattern=r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
    key: str = Field(pattern=r"^(resourceId|resourceName|arn)$")
    exclude: list[dict[str, Any]] = Field(default_factory=list)


class Entry(BaseModel):
    model_config = STRICT

    live: str
    items: str | None = None
    each: str | None = None
    state_key: str
    live_key: str
    compare: dict[str, Compare] = Field(min_length=1)
    unmanaged: bool = False
    exclude: list[dict[str, Any]] = Field(default_factory=list)
    arn: str | None = None
    arn_key: str = "id"
    trail: list[str] = Field(default_factory=lambda: ["{id}"])
    config: ConfigMap | None = None

    @field_validator("state_key", "live_key")
    @classmethod
    def template(cls, v: str) -> str:
        fields_of(v)
        return v

    @field_validator("trail")
    @classmethod
    def templates(cls, v: list[str]) -> list[str]:
        for t in v:
            fields_of(t)
        return v

    @model_validator(mode="after")
    def arn_shape(self) -> Entry:
        if self.arn is not None and ":" not in self.arn:
            raise ValueError(f"arn {self.arn!r} must be '<service>:<resource type>'")
        if self.arn_key not in ("id", "arn"):
            raise ValueError(f"arn_key {self.arn_key!r} must be 'id' or 'arn'")
        return self


def load_table(path: Path = TABLE, known_keys: Iterable[str] | None = None) -> dict[str, Entry]:
    """The table at `path`; with `known_keys`, every `live:` must be one of them."""
    located = load_located(path, ConfigError)
    if not isinstance(located.data, dict) or not located.data:
        raise ConfigError(f"{path}: expected a mapping of resource type -> entry")
    out: dict[str, Entry] = {}
    for rtype, raw in located.data.items():
        try:
            out[rtype] = Entry.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(validation_error(located, exc, (rtype,))) from None
        if known_keys is not None and out[rtype].live not in set(known_keys):
            where = located.where((rtype, "live"))
            raise ConfigError(f"{where}: {rtype}.live: no collector provides {out[rtype].live!r}")
    return out


@cache
def builtin_table() -> dict[str, Entry]:
    return load_table()


def unmanaged_types() -> tuple[str, ...]:
    """The top-level types drift.unmanaged looks for (`unmanaged: true`)."""
    return tuple(t for t, e in builtin_table().items() if e.unmanaged)
