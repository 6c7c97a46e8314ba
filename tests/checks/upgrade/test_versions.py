"""The version arithmetic of the pre-flight (core/kube_versions.py) and PodDisruptionBudget selectors
(core/labels.py), on plain values."""

from __future__ import annotations

import pytest

from opsbook.core.kube_versions import UpgradeTarget, allowed_kubelet_skew, minor_of, skew_problem
from opsbook.core.labels import selector_matches


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1.32", (1, 32)), ("v1.32.1-eks-5d632ec", (1, 32)), ("1.32.1", (1, 32)), ("v1.9", (1, 9)),
     ("", None), ("1", None), ("latest", None), (None, None)],
)  # fmt: skip
def test_minor_of(text: str | None, minor: tuple[int, int] | None) -> None:
    assert minor_of(text) == minor


def test_skew_policy_three_minors_since_kubelet_1_25_two_before() -> None:
    assert allowed_kubelet_skew((1, 25)) == 3 and allowed_kubelet_skew((1, 24)) == 2
    # 1.30 kubelets may stay behind a 1.33 control plane, 1.29 may not
    assert skew_problem((1, 30), (1, 32), (1, 33)) is None
    assert "4 minor versions behind 1.33" in (skew_problem((1, 29), (1, 32), (1, 33)) or "")
    assert "at least 1.30" in (skew_problem((1, 29), (1, 32), (1, 33)) or "")
    # a 1.24 kubelet: two minors only, so 1.27 breaks it where 1.26 does not
    assert skew_problem((1, 24), (1, 26), (1, 26)) is None
    assert "allows 2" in (skew_problem((1, 24), (1, 26), (1, 27)) or "")
    assert "newer than the control plane" in (skew_problem((1, 33), (1, 32), (1, 33)) or "")


def test_target_defaults_to_the_next_minor() -> None:
    assert UpgradeTarget().target_for((1, 32)) == (1, 33)
    assert UpgradeTarget(target_version="1.34").target_for((1, 32)) == (1, 34)
    with pytest.raises(ValueError):
        UpgradeTarget(target_version="1.33.1")
    with pytest.raises(ValueError):
        UpgradeTarget(target_version="2.0")


def test_label_selector_objects() -> None:
    labels = {"app": "web", "tier": "front"}
    assert not selector_matches(None, labels)  # unset: selects nothing
    assert selector_matches({}, labels)  # empty: selects everything (policy/v1)
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "db"}}, labels)
    expr = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]}]}
    assert selector_matches(expr, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, labels
    )
    assert selector_matches({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, labels)
