"""`opsbook iam policy`: the least-privilege read-only policy derived from the checks that would run."""

from __future__ import annotations

import json

import pytest

from opsbook.cli.main import main
from opsbook.core.checks import CHECKS
from opsbook.core.models import TargetKind
from opsbook.engine.selection import load_builtin


def policy(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["iam", "policy", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["Version"] == "2012-10-17" and len(doc["Statement"]) == 1
    statement = doc["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    actions: list[str] = statement["Action"]
    assert actions == sorted(set(actions))
    return actions


def test_policy_of_one_check_is_what_it_and_its_collectors_call(capsys: pytest.CaptureFixture[str]) -> None:
    assert policy(capsys, "--check", "s3.bucket_growth") == [
        "cloudwatch:GetMetricData",
        "s3:GetBucketLocation",
        "s3:GetBucketTagging",
        "s3:GetIntelligentTieringConfiguration",
        "s3:ListAllMyBuckets",
    ]


def test_policy_by_cadence_covers_exactly_its_checks(capsys: pytest.CaptureFixture[str]) -> None:
    load_builtin()
    everything = set(policy(capsys))
    monday = set(policy(capsys, "--cadence", "weekly:monday"))
    assert "iam:GenerateServiceLastAccessedDetails" in monday and monday < everything
    for spec in CHECKS:
        if spec.target_kind is TargetKind.AWS:
            assert set(spec.all_permissions()) <= everything, spec.id
    read_only = (
        "Describe",
        "Get",
        "List",
        "Generate",
        "Download",
        "StartQuery",
        "Filter",
        "Lookup",
        "Select",
        "GET",
    )
    for action in everything:
        assert action.split(":", 1)[1].startswith(read_only), action


def test_bad_cadence_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam", "policy", "--cadence", "fortnightly"]) == 2
    assert "--cadence 'fortnightly'" in capsys.readouterr().err
