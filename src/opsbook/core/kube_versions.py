"""Kubernetes minor versions as the upgrade pre-flight compares them, and its one setting.

A version is compared by (major, minor): EKS upgrades a control plane one minor at a time and reports
`1.32`; kubelets report `v1.32.1-eks-5d632ec`; a stack may pin `1.32.1`. The version skew policy
(https://kubernetes.io/releases/version-skew-policy/#kubelet): a kubelet must not be newer than
kube-apiserver and may be up to three minor versions older (a kubelet older than 1.25 only two).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from opsbook.core.settings import CheckSettings

Minor = tuple[int, int]
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")
MINOR_TEXT = r"^1\.\d{1,3}$"  # a target: Kubernetes 1.x (the skew arithmetic stays within one major)


def without_v(value: Any) -> Any:
    """`v1.33` as `1.33` (kubectl prints versions with the `v`); anything else unchanged."""
    if isinstance(value, str):
        value = value.strip()
        return value[1:] if value[:1] in ("v", "V") else value
    return value


# A target minor in a procedure's or a check's parameters: `1.33`, also given as `v1.33`.
MinorTarget = Annotated[str, BeforeValidator(without_v), Field(pattern=MINOR_TEXT)]


def minor_of(text: str | None) -> Minor | None:
    """(1, 32) for `1.32`, `v1.32.1-eks-5d632ec`, `1.32.1`; None for anything else."""
    match = _VERSION.match(str(text or "").strip())
    return (int(match[1]), int(match[2])) if match else None


def text(version: Minor) -> str:
    return f"{version[0]}.{version[1]}"


def next_minor(version: Minor) -> Minor:
    return version[0], version[1] + 1


def minors_between(older: Minor, newer: Minor) -> int:
    """How many minor versions `older` is behind `newer` (negative when it is ahead); same major only."""
    if older[0] != newer[0]:
        raise ValueError(f"versions {text(older)} and {text(newer)} have different majors")
    return newer[1] - older[1]


def allowed_kubelet_skew(kubelet: Minor) -> int:
    """Minor versions a kubelet may be behind kube-apiserver: 3, or 2 for a kubelet older than 1.25."""
    return 3 if kubelet >= (1, 25) else 2


def skew_problem(component: Minor, control_plane: Minor, target: Minor) -> str | None:
    """Why a kubelet (or a node group's version) at `component` stops the control plane's upgrade from
    `control_plane` to `target`, or None. Newer than the control plane breaks the policy already; more
    than the allowed skew behind the target breaks it as soon as the control plane is upgraded."""
    if component > control_plane:
        return f"{text(component)} is newer than the control plane ({text(control_plane)})"
    behind, allowed = minors_between(component, target), allowed_kubelet_skew(component)
    if behind > allowed:
        return (
            f"{text(component)} would be {behind} minor versions behind {text(target)} (the skew policy "
            f"allows {allowed}): upgrade it to at least {text((target[0], target[1] - allowed))} first"
        )
    return None


class UpgradeTarget(CheckSettings):
    """The setting every `upgrade.*` check shares (their collectors read it too)."""

    target_version: MinorTarget | None = Field(
        None,
        description="The Kubernetes minor version to check an upgrade to (e.g. '1.33'); default: the next "
        "minor after each cluster's live control plane. `opsbook upgrade check --to` sets it.",
    )

    def target_for(self, control_plane: Minor) -> Minor:
        chosen = minor_of(self.target_version)
        return chosen if chosen is not None else next_minor(control_plane)
