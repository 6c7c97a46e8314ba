"""Terraform state format v4 read into flat instances with Terraform's own addresses."""

from __future__ import annotations

import json

import pytest

from opsbook.core.errors import InputError
from opsbook.providers.terraform.state import parse_state


def test_addresses_carry_module_mode_and_index_keys() -> None:
    doc = {
        "version": 4,
        "resources": [
            {"mode": "managed", "type": "aws_instance", "name": "web", "instances": [{"attributes": {"id": "i-1"}}]},
            {"mode": "managed", "type": "aws_s3_bucket", "name": "b", "module": "module.store",
             "instances": [{"index_key": "logs", "attributes": {"bucket": "logs"}},
                           {"index_key": 0, "attributes": {"bucket": "zero"}}]},
            {"mode": "data", "type": "aws_iam_policy", "name": "p", "instances": [{"attributes": {}}]},
        ],
    }  # fmt: skip
    found = parse_state(json.dumps(doc), "s3://b/k")
    assert [(i.address, i.mode) for i in found] == [
        ("aws_instance.web", "managed"),
        ('module.store.aws_s3_bucket.b["logs"]', "managed"),
        ("module.store.aws_s3_bucket.b[0]", "managed"),
        ("data.aws_iam_policy.p", "data"),
    ]
    assert found[1].attributes == {"bucket": "logs"} and found[0].type == "aws_instance"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (
            '{"version": 3, "modules": []}',
            "s3://b/k: Terraform state format version 3, opsbook reads version 4",
        ),
        ("not json", "s3://b/k: not a Terraform state (not JSON"),
        ('{"version": 4, "resources": [{"type": "x"}]}', "s3://b/k: a resource without type or name"),
    ],
)
def test_anything_but_v4_state_is_an_error_naming_the_object(raw: str, said: str) -> None:
    with pytest.raises(InputError) as err:
        parse_state(raw, "s3://b/k")
    assert str(err.value).startswith(said)
