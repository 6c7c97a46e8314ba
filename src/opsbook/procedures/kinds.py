"""Item kinds: what a procedure can do to one resource, and how to re-check it right before.

A procedure registers each kind once::

    item_kind("ebs-volume", action="delete-volume", permissions=("ec2:DescribeVolumes", "ec2:DeleteVolume"),
              recheck=recheck_volume, act=delete_volume)

`recheck(item, clients) -> Live` reads the live state: `eligible` (still what the plan saw: act),
`done` (the action's effect is already in place: nothing to do), or `changed` (skip, with the reason).
`Live.tags` are the resource's current tags, checked against the protect tag by the engine.
`act(item, clients) -> dict` performs the action and returns what to journal/audit (new ids, and what
`undo` needs to put things back, e.g. the HPA's original min/max).
`undo(item, clients, detail) -> dict` (optional) reverses `act` given its journaled detail (`--rollback`);
a kind that cannot be undone says why in `irreversible` (shown by `--rollback`); one that only verifies
(`changes_nothing`, e.g. a smoke test) needs no undo: a rollback journals it undone.
`clients(service)` makes a boto3 client in the item's account and region; `clients.options` holds the
apply options (e.g. `snapshot_before_delete`), `clients.plan_hash` the plan's hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from opsbook.core.registry import Registry
from opsbook.procedures.plan import PlanItem


@dataclass(frozen=True)
class Live:
    state: Literal["eligible", "done", "changed"]
    reason: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


class Clients:
    """Client factory for one item's account/region, plus the apply's options."""

    def __init__(
        self, make: Callable[[str], Any], *, options: dict[str, Any], plan_hash: str, now: datetime
    ) -> None:
        self._make = make
        self.options = options
        self.plan_hash = plan_hash
        self.now = now

    def __call__(self, service: str) -> Any:
        return self._make(service)


RecheckFn = Callable[[PlanItem, Clients], Live]
ActFn = Callable[[PlanItem, Clients], dict[str, Any]]
# undo(item, clients, journaled detail of the act) -> detail: puts back what act changed (`--rollback`)
UndoFn = Callable[[PlanItem, Clients, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ItemKind:
    name: str
    action: str
    permissions: tuple[str, ...]
    recheck: RecheckFn
    act: ActFn
    undo: UndoFn | None = None
    changes_nothing: bool = False  # a step that only verifies (smoke test): a rollback has nothing to undo
    irreversible: str = ""  # why there is no undo (e.g. "EKS cannot downgrade a control plane")


KINDS: Registry[ItemKind] = Registry("item kinds")


def item_kind(
    name: str,
    *,
    action: str,
    permissions: tuple[str, ...],
    recheck: RecheckFn,
    act: ActFn,
    undo: UndoFn | None = None,
    changes_nothing: bool = False,
    irreversible: str = "",
    registry: Registry[ItemKind] | None = None,
) -> ItemKind:
    if not permissions:
        raise ValueError(f"item kind {name}: permissions are empty")
    kind = ItemKind(
        name=name,
        action=action,
        permissions=permissions,
        recheck=recheck,
        act=act,
        undo=undo,
        changes_nothing=changes_nothing,
        irreversible=irreversible,
    )
    (registry if registry is not None else KINDS).add(name, kind)
    return kind


def undoable(items: Sequence[PlanItem]) -> bool:
    """Whether `opsbook apply PLAN --rollback` can undo any of `items` (some item's kind has an undo)."""
    return any(KINDS.get(i.kind).undo for i in items if i.kind in KINDS)


def why_no_undo(items: Sequence[PlanItem]) -> list[str]:
    """Why `--rollback` cannot undo `items`: their kinds' `irreversible` reasons, each once."""
    kinds = [KINDS.get(i.kind) for i in items if i.kind in KINDS]
    return list(dict.fromkeys(k.irreversible for k in kinds if k.undo is None and k.irreversible))


def two_way(param: str, first: str, forward: ActFn, backward: ActFn) -> tuple[ActFn, UndoFn]:
    """(act, undo) of a kind whose items go one of two opposite ways (page on | off, freeze | restore): the
    item's `params[param] == first` acts `forward` and undoes with `backward`, any other value the reverse."""

    def act(item: PlanItem, clients: Clients) -> dict[str, Any]:
        return (forward if item.params[param] == first else backward)(item, clients)

    def undo(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
        return (backward if item.params[param] == first else forward)(item, clients)

    return act, undo
