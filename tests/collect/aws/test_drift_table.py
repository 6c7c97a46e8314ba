"""The drift table is data: every type the brief names is in it, and a bad entry is one clear error naming
the entry and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.collect.aws.drift_table import builtin_table, load_table
from opsbook.core.collectors import COLLECTORS
from opsbook.core.errors import ConfigError
from opsbook.engine.selection import load_builtin

REQUIRED = {
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_instance", "aws_ebs_volume",
    "aws_s3_bucket", "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block", "aws_iam_role", "aws_iam_role_policy_attachment", "aws_db_instance",
    "aws_eks_node_group", "aws_lb",
}  # fmt: skip


def test_the_builtin_table_covers_the_common_types_and_reads_registered_collectors() -> None:
    load_builtin()
    table = load_table(known_keys=list(COLLECTORS.keys()))
    assert REQUIRED <= set(table) and table == builtin_table()
    assert table["aws_eks_node_group"].compare["desired_size"].state == "scaling_config.0.desired_size"


GOOD = """\
aws_instance:
  live: ec2.instances
  state_key: "{id}"
  live_key: "{id}"
  compare:
    instance_type: {live: type}
"""


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (GOOD.replace("{live: type}", "{live: type, normalise: upper}"),
         ":6:33: aws_instance.compare.instance_type.normalise: unknown normaliser 'upper' (have: bool,"),
        (GOOD.replace('live_key: "{id}"', 'live_key: "id"'),
         ":4:3: aws_instance.live_key: 'id' must name at least one {field}"),
        (GOOD.replace("  compare:\n    instance_type: {live: type}\n", "  compare: {}\n"),
         ":5:3: aws_instance.compare: Dictionary should have at least 1 item"),
        (GOOD + "  colour: red\n", ":7:3: aws_instance.colour: unknown field"),
        (GOOD.replace("ec2.instances", "ec2.nothing"), ":2:3: aws_instance.live: no collector provides 'ec2.nothing'"),
    ],
)  # fmt: skip
def test_a_bad_entry_is_one_error_naming_it_and_its_line(tmp_path: Path, text: str, said: str) -> None:
    load_builtin()
    path = tmp_path / "table.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_table(path, list(COLLECTORS.keys()))
    assert str(err.value).startswith(f"{path}{said}"), str(err.value)
    assert "\n" not in str(err.value)
