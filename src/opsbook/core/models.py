"""The shared data model: severities, statuses, targets and findings (all frozen)."""

from __future__ import annotations

import hashlib
import sys
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_ORDER = list(Severity)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


_FIELD_SETS: dict[frozenset[str], set[str]] = {}


class Compact(BaseModel):
    """A frozen model that costs what its values cost. pydantic gives every instance its own set of the
    field names it was given (`__pydantic_fields_set__`, 200-700 bytes); frozen instances never change it
    in place (`model_copy` copies it first), so instances given the same fields share one set. A run holds
    tens of thousands of findings and inventory records, so this is a third of their size."""

    model_config = ConfigDict(frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        names = self.__pydantic_fields_set__
        shared = _FIELD_SETS.get(frozenset(names))
        if shared is None:
            shared = _FIELD_SETS.setdefault(frozenset(names), names)
        object.__setattr__(self, "__pydantic_fields_set__", shared)


class TargetKind(StrEnum):
    AWS = "aws"
    K8S = "k8s"
    ATMOS = "atmos"


class Target(Compact):
    """Where a check runs: one AWS account+region, one cluster, or one stacks tree."""

    kind: TargetKind
    account: str | None = None  # the account's name in opsbook.yaml (dev, prod ...)
    account_id: str | None = None
    region: str | None = None
    cluster: str | None = None
    stack: str | None = None

    @property
    def key(self) -> str:
        if self.kind is TargetKind.AWS:
            return f"aws:{self.account}/{self.region}"
        if self.kind is TargetKind.K8S:
            return f"k8s:{self.cluster}"
        return f"atmos:{self.stack or '*'}"

    def __str__(self) -> str:
        return self.key


class Resource(Compact):
    id: str
    type: str = ""
    arn: str | None = None
    name: str | None = None


class Proposal(Compact):
    """What a procedure can do about one failing finding: the typed contract between a check and a planner.

    The check that found the problem says which procedure fixes it (`procedure`, also named in the check's
    `fixed_by` and remediation), which item kind and action, and the parameters the item's re-check must
    compare against; the planner turns it into a plan item without reading free-form details."""

    procedure: str  # e.g. "cleanup"
    kind: str  # an item kind of that procedure, e.g. "ebs-volume"
    action: str  # e.g. "delete-volume"
    params: dict[str, Any] = Field(default_factory=dict)
    saving_usd_month: float = 0.0


class Finding(Compact):
    """One result of one check on one resource (or on the whole target when `resource` is None)."""

    check_id: str
    status: Status
    severity: Severity
    target: Target
    resource: Resource | None = None
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    remediation: str = ""
    proposal: Proposal | None = None  # set on failures a procedure can fix (see Proposal)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uid(self) -> str:
        """Stable across runs: the same check on the same resource of the same target."""
        return finding_uid(self.check_id, self.target, self.resource.id if self.resource else "")


def finding_uid(check_id: str, target: Target, resource_id: str) -> str:
    raw = f"{check_id}|{target.key}|{resource_id}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


# What a run's findings repeat, held once. A fleet run keeps tens of thousands of findings until its report is
# written; their details repeat short values parsed anew from every response ("available", "gp3",
# "us-east-1a": a string object each), and the cleanup checks' proposals are mostly equal to one another.
SHORT = 40  # longer strings (messages, ARNs, timestamps) are rarely repeated
_PROPOSALS: dict[tuple[Any, ...], Proposal] = {}
_PROPOSALS_MAX = 10_000  # a bound: past it, the cache starts again


def compact_details(details: dict[str, Any]) -> dict[str, Any]:
    """`details` with its short string values interned (in place; the same dict is returned)."""
    for key, value in details.items():
        if type(value) is str and len(value) <= SHORT:
            details[key] = sys.intern(value)
    return details


def shared_proposal(proposal: Proposal) -> Proposal:
    """An equal proposal made earlier in the process, else this one (frozen: sharing cannot leak a change).
    Proposals whose params are not all hashable are returned as they are."""
    try:
        key = (
            proposal.procedure,
            proposal.kind,
            proposal.action,
            proposal.saving_usd_month,
            tuple(sorted(proposal.params.items())),
        )
        hash(key)
    except TypeError:
        return proposal
    found = _PROPOSALS.get(key)
    if found is not None:
        return found
    if len(_PROPOSALS) >= _PROPOSALS_MAX:
        _PROPOSALS.clear()
    return _PROPOSALS.setdefault(key, proposal)
