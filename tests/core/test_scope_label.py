"""Run labels: a run narrowed to some targets says so, and covers only what it ran."""

from __future__ import annotations

from opsbook.core.scope_label import MAX, covered, narrowed
from opsbook.engine.service import RunRequest


def test_a_narrowed_run_is_labelled_with_its_targets() -> None:
    assert RunRequest(scopes=["daily"]).scope_label == "daily"
    assert RunRequest(scopes=["daily"], accounts=["dev"]).scope_label == "daily[account=dev]"
    both = RunRequest(scopes=["daily"], accounts=["prod", "dev", "dev"], regions=["us-east-1"])
    assert both.scope_label == "daily[account=dev,prod;region=us-east-1]"  # sorted, once each
    assert RunRequest(scopes=["daily"], clusters=["my-cluster"]).scope_label == "daily[cluster=my-cluster]"
    named = RunRequest(check_ids=["rds.cpu_high"], accounts=["prod"])
    assert named.scope_label == "check:rds.cpu_high[account=prod]"
    assert RunRequest(scopes=["daily"], accounts=["dev"], label="drift").scope_label == "drift"  # as named


def test_a_label_too_long_for_the_store_or_with_separators_names_its_targets_by_a_hash() -> None:
    many = [f"account-{i:03d}" for i in range(20)]
    label = narrowed("daily", accounts=many)
    assert (
        len(label) <= MAX
        and label.startswith("daily[narrowed #")
        and label == narrowed("daily", accounts=many[::-1])
    )
    assert narrowed("daily", accounts=many[1:]) != label
    odd = narrowed("daily", accounts=["a]b"])
    assert odd.startswith("daily[narrowed #") and covered(odd) == [odd]


def test_what_a_label_covers() -> None:
    assert covered("daily") == ["daily"]
    assert covered("daily[account=dev]") == ["daily[account=dev]"]  # never plain daily
    assert covered("daily+weekly:monday") == ["daily+weekly:monday", "daily", "weekly:monday"]
    assert covered("daily+weekly:monday[account=dev]") == [
        "daily+weekly:monday[account=dev]", "daily[account=dev]", "weekly:monday[account=dev]"
    ]  # fmt: skip
