"""Regions checked against botocore's partitions (offline) and ARNs parsed in full: in the config
(`aws.default_regions`, `accounts[].regions`, `role_arn`, `stacks.role_name`) and for `--region`."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.aws_names import check_region, parse_arn, parse_role_arn, partition_of, partitions
from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, InputError
from opsbook.engine.targets import aws_targets


def test_partitions_come_from_botocore_without_pseudo_regions() -> None:
    assert {"aws", "aws-cn", "aws-us-gov"} <= set(partitions())
    assert "us-east-1" in partitions()["aws"] and "aws-global" not in partitions()["aws"]
    assert partition_of("cn-north-1") == "aws-cn" and partition_of("us-gov-west-1") == "aws-us-gov"


@pytest.mark.parametrize(
    "region", ["xx-nowhere-9", "us-east-1 ", "US-EAST-1", "aws-global", "", "us-east-99"]
)
def test_unknown_regions_are_refused(region: str) -> None:
    with pytest.raises(ValueError, match="unknown AWS region"):
        check_region(region)


def test_a_near_miss_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match="did you mean .*eu-west-1"):
        check_region("eu-wset-1")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/opsbook-read",
        "arn:aws:iam::123456789012:role/ops/team/opsbook+read=x,y.z@a-b",
        "arn:aws-cn:iam::123456789012:role/r",
        "arn:aws-us-gov:iam::123456789012:role/r",
    ],
)
def test_role_arns_that_parse(arn: str) -> None:
    assert parse_role_arn(arn).account == "123456789012"


@pytest.mark.parametrize(
    ("arn", "why"),
    [
        ("arn:aws", "is not an ARN"),
        ("arn:aws:s3:::x", "not an IAM role ARN"),
        ("role/x", "is not an ARN"),
        ("arn:awz:iam::123456789012:role/x", "unknown partition"),
        ("arn:aws:iam::12345678901:role/x", "12 digits"),
        ("arn:aws:iam::123456789012:user/x", "role/"),
        ("arn:aws:iam::123456789012:role/", "role/"),
        ("arn:aws:iam::123456789012:role/a b", "role/"),
        ("arn:aws:iam::123456789012:role/" + "x" * 65, "role/"),
        ("arn:aws:iam:us-east-1:123456789012:role/x", "not an IAM role ARN"),
        ("arn:aws:iam:::role/x", "no account id"),
    ],
)
def test_role_arns_that_do_not(arn: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_role_arn(arn)


def test_other_arns_check_region_against_partition() -> None:
    assert parse_arn("arn:aws:rds:us-east-1:123456789012:db:x").resource == "db:x"
    with pytest.raises(ValueError, match="not in partition"):
        parse_arn("arn:aws-cn:rds:us-east-1:123456789012:db:x")


CONFIGS = [
    ("accounts:\n  - name: dev\n    role_arn: arn:aws\n", ":3:5: accounts.0.role_arn:", "is not an ARN"),
    ("accounts:\n  - name: dev\n    role_arn: arn:aws:s3:::x\n", ":3:5: accounts.0.role_arn:", "IAM role"),
    ("aws:\n  default_regions: [us-east-1, xx-nowhere-9]\n", ":2:32: aws.default_regions.1:", "unknown AWS"),
    ("aws:\n  default_regions: []\n", ":2:3: aws.default_regions:", "at least 1"),
    ("accounts:\n  - name: dev\n    regions: [eu-west-9]\n", ":3:15: accounts.0.regions.0:", "unknown AWS"),
    (
        "accounts:\n  - name: dev\n    id: '111111111111'\n    role_arn: arn:aws:iam::222222222222:role/r\n",
        ":2:5: accounts.0:",
        "role_arn is in account 222222222222, but id is 111111111111",
    ),
    (
        "accounts:\n  - name: cn\n    role_arn: arn:aws-cn:iam::222222222222:role/r\n    regions: [us-east-1]\n",
        ":2:5: accounts.0:",
        "not in role_arn's partition aws-cn",
    ),
    ("stacks:\n  role_name: 'read only'\n", ":2:3: stacks.role_name:", "IAM role name"),
]


@pytest.mark.parametrize(("text", "where", "why"), CONFIGS)
def test_config_validate_refuses_with_file_line_col(
    text: str, where: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "opsbook.yaml"
    path.write_text(text)
    assert main(["--config", str(path), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert f"{path}{where}" in err and why in err, err
    assert len(err.strip().splitlines()) == 1


def test_the_sandbox_and_bulk_estate_configs_validate() -> None:
    pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")
    from opsbook.sandbox.aws.bulk import REGIONS, BulkEstate
    from opsbook.sandbox.runtime import Sandbox

    Config.model_validate(Sandbox().config("sqlite://"))
    cfg = Config.model_validate({"accounts": BulkEstate(5, len(REGIONS), 0).accounts_config()})
    assert len(aws_targets(cfg)) == 5 * len(REGIONS)


CFG = Config.model_validate(
    {
        "accounts": [
            {"name": "prod", "regions": ["us-east-1", "eu-west-1"]},
            {"name": "dev"},
        ]
    }
).model_copy(update={"source": "opsbook.yaml"})


def test_region_flag_must_be_a_real_region() -> None:
    with pytest.raises(InputError, match="--region xx-nowhere-9: unknown AWS region"):
        aws_targets(CFG, regions=["xx-nowhere-9"])


def test_region_flag_must_be_configured_for_the_chosen_accounts() -> None:
    with pytest.raises(ConfigError, match=r"--region ap-south-1: not configured for any account .*us-east-1"):
        aws_targets(CFG, regions=["ap-south-1"])
    with pytest.raises(
        ConfigError, match=r"not configured for the chosen accounts .*\(configured: us-east-1\)"
    ):
        aws_targets(CFG, accounts=["dev"], regions=["eu-west-1"])
    assert [t.key for t in aws_targets(CFG, regions=["eu-west-1"])] == ["aws:prod/eu-west-1"]


def test_run_refuses_an_unknown_region_at_parse_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "opsbook.yaml"
    path.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/o.db'}}\naccounts:\n  - name: dev\n")
    assert main(["--config", str(path), "run", "daily", "--region", "xx-nowhere-9"]) == 2
    err = capsys.readouterr().err
    assert "--region" in err and "xx-nowhere-9" in err and len(err.strip().splitlines()) == 1
    assert main(["--config", str(path), "cleanup", "plan", "--region", "eu-west-1"]) == 2
    assert "not configured for any account" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opsbook.yaml"]  # refused before any store
