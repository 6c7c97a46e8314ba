"""A local IAM policy evaluator for the monthly audit: what do these policy documents grant on `*`?

It answers three questions about a set of documents (everything attached to one role, user or policy):
full admin (`*` on `*`, or Allow NotAction on `*`), service-wide grants (`svc:*` on `*`), and known
privilege-escalation combinations (iam:PassRole with ec2:RunInstances, iam:CreatePolicyVersion, ...).

Rules: an explicit Deny beats an Allow; actions match case-insensitively with IAM's `*`/`?` wildcards;
NotAction/NotResource are honoured. A grant counts as "on `*`" when its Resource includes `*` (or it is
an Allow with NotResource); a Deny cancels it only when it, too, covers every resource. Conditions are not
evaluated: a conditional Allow is counted (it may be granted) and a conditional Deny is not applied (it
may not match); `conditions_ignored` counts those statements so a reader can look again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Each entry: every action must be granted on `*` for the escalation to be possible.
ESCALATIONS: tuple[tuple[str, ...], ...] = (
    ("iam:PassRole", "ec2:RunInstances"),
    ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    ("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
    ("iam:PassRole", "cloudformation:CreateStack"),
    ("iam:PassRole", "glue:CreateDevEndpoint"),
    ("iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"),
    ("iam:CreatePolicyVersion",),
    ("iam:SetDefaultPolicyVersion",),
    ("iam:AttachUserPolicy",),
    ("iam:AttachGroupPolicy",),
    ("iam:AttachRolePolicy",),
    ("iam:PutUserPolicy",),
    ("iam:PutGroupPolicy",),
    ("iam:PutRolePolicy",),
    ("iam:CreateAccessKey",),
    ("iam:CreateLoginProfile",),
    ("iam:UpdateLoginProfile",),
    ("iam:AddUserToGroup",),
    ("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    ("lambda:UpdateFunctionCode",),
)

CONDITIONS_NOTE = (
    "conditions are not evaluated: conditional Allow statements are counted as granted and conditional "
    "Deny statements are not applied"
)


def as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@lru_cache(maxsize=4096)
def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), re.IGNORECASE
    )


def matches(glob: str, action: str) -> bool:
    return _pattern(glob).fullmatch(action) is not None


@dataclass(frozen=True)
class Statement:
    source: str
    effect: str  # Allow | Deny
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] | None = None
    conditional: bool = False

    def covers(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(matches(p, action) for p in self.not_actions)
        return any(matches(p, action) for p in self.actions)

    @property
    def on_everything(self) -> bool:
        return "*" in self.resources or self.not_resources is not None

    @property
    def applies(self) -> bool:
        """Counted by the evaluator (see the module's note on conditions)."""
        return self.effect == "Allow" or not self.conditional


def statements(documents: Iterable[tuple[str, dict[str, Any]]]) -> list[Statement]:
    out = []
    for source, doc in documents:
        raw = doc.get("Statement", [])
        for s in [raw] if isinstance(raw, dict) else raw:
            if not isinstance(s, dict):
                continue
            out.append(
                Statement(
                    source=source,
                    effect=str(s.get("Effect", "")),
                    actions=as_list(s.get("Action")),
                    not_actions=as_list(s["NotAction"]) if "NotAction" in s else None,
                    resources=as_list(s.get("Resource")),
                    not_resources=as_list(s["NotResource"]) if "NotResource" in s else None,
                    conditional=bool(s.get("Condition")),
                )
            )
    return out


@dataclass
class Evaluation:
    full_admin: list[str] = field(default_factory=list)  # sources granting everything
    service_wildcards: dict[str, list[str]] = field(default_factory=dict)  # "s3:*" -> sources
    escalations: list[tuple[str, ...]] = field(default_factory=list)
    conditions_ignored: int = 0

    @property
    def clean(self) -> bool:
        return not (self.full_admin or self.service_wildcards or self.escalations)

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "full_admin": self.full_admin,
            "service_wildcards": self.service_wildcards,
            "escalations": [list(e) for e in self.escalations],
        }
        if self.conditions_ignored:
            out["conditions_ignored"] = self.conditions_ignored
            out["note"] = CONDITIONS_NOTE
        return out


class Evaluator:
    def __init__(self, stmts: Sequence[Statement]) -> None:
        self.allows = [s for s in stmts if s.effect == "Allow" and s.on_everything]
        self.denies = [s for s in stmts if s.effect == "Deny" and s.on_everything and s.applies]
        self.conditions_ignored = sum(1 for s in stmts if s.conditional)

    def denied(self, action: str) -> bool:
        return any(d.covers(action) for d in self.denies)

    def granted_by(self, action: str) -> list[str]:
        """Sources that allow `action` on every resource, or [] if none does or a Deny removes it."""
        if self.denied(action):
            return []
        return sorted({s.source for s in self.allows if s.covers(action)})

    def denied_wholesale(self, glob: str) -> bool:
        """A Deny that removes every action `glob` stands for (`svc:*` by `svc:*`, `*` or NotAction)."""
        for d in self.denies:
            if d.not_actions is not None:
                if not any(matches(p, glob) or matches(glob, p) for p in d.not_actions):
                    return True
            elif any(matches(p, glob) for p in d.actions):
                return True
        return False

    def evaluate(self) -> Evaluation:
        ev = Evaluation(conditions_ignored=self.conditions_ignored)
        for s in self.allows:
            if s.not_actions is not None or any(a in ("*", "*:*") for a in s.actions):
                if not self.denied_wholesale("*"):
                    label = (
                        s.source if s.not_actions is None else f"{s.source} (NotAction {list(s.not_actions)})"
                    )
                    ev.full_admin.append(label)
                continue
            for a in s.actions:
                svc, _, op = a.partition(":")
                if op == "*" and svc and "*" not in svc and not self.denied_wholesale(a.lower()):
                    ev.service_wildcards.setdefault(a.lower(), []).append(s.source)
        ev.full_admin = sorted(set(ev.full_admin))
        ev.service_wildcards = {k: sorted(set(v)) for k, v in sorted(ev.service_wildcards.items())}
        if not ev.full_admin:
            ev.escalations = [combo for combo in ESCALATIONS if all(self.granted_by(a) for a in combo)]
        return ev


def evaluate(documents: Iterable[tuple[str, dict[str, Any]]]) -> Evaluation:
    return Evaluator(statements(documents)).evaluate()
