"""Run labels: a run narrowed to some targets says so, and covers only what it ran."""

from __future__ import annotations

from opsbook.core.scope_label import MAX, STORED, bounded, covered, narrowed
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


PACK = [  # the benchmark's eight checks (bench/harness.py), named one by one
    "ec2.unattached_volumes", "ec2.unassociated_addresses", "ec2.old_snapshots", "ec2.unused_security_groups",
    "elbv2.idle_load_balancers", "cloudwatch.alarms_in_alarm", "rds.instance_not_available",
    "eks.cluster_not_active",
]  # fmt: skip


def test_many_named_checks_keep_a_readable_stable_label_the_store_holds() -> None:
    label = RunRequest(check_ids=PACK, accounts=["dev"]).scope_label
    assert MAX < len(label) <= STORED
    assert label.startswith("check:ec2.unattached_volumes+check:ec2.unassociated_addresses+")
    assert label == RunRequest(check_ids=PACK, accounts=["dev"]).scope_label  # history compares by it


def test_a_label_longer_than_the_store_is_cut_with_a_hash_of_the_whole() -> None:
    ids = [f"x.check_{i:03d}" for i in range(60)]
    label = RunRequest(check_ids=ids).scope_label
    assert len(label) == STORED and label.startswith("check:x.check_000+") and label == bounded(label)
    assert label == RunRequest(check_ids=ids).scope_label
    assert RunRequest(check_ids=ids[:-1]).scope_label != label  # same start, another run: another label
    assert covered(label) == [label]
    assert len(RunRequest(scopes=["daily"], label="y" * 2000).scope_label) == STORED
    assert bounded("daily") == "daily"
