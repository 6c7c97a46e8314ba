"""The fault proxy's throttling answers are what botocore reads as AWS's own throttling, per protocol."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
import pytest

from opsbook.providers.aws.session import THROTTLED
from opsbook.sandbox.faults import FaultProxy

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "ec2": ("describe_volumes", {}),  # ec2 protocol
    "sts": ("get_caller_identity", {}),  # query
    "cloudwatch": ("describe_alarms", {}),  # smithy-rpc-v2-cbor
    "logs": ("describe_log_groups", {}),  # json
    "s3": ("list_buckets", {}),  # rest-xml
    "eks": ("list_clusters", {}),  # rest-json
}


@pytest.fixture(scope="module")
def proxy():  # type: ignore[no-untyped-def]
    with FaultProxy(mode="throttle") as p:
        yield p


@pytest.mark.parametrize("service", sorted(CALLS))
def test_throttling_reads_as_throttling(proxy: FaultProxy, service: str) -> None:
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=proxy.url,
        aws_access_key_id="k",
        aws_secret_access_key="s",  # noqa: S106 - a fake key for a local proxy
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    op, kwargs = CALLS[service]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        getattr(client, op)(**kwargs)
    assert caught.value.response["Error"]["Code"] in THROTTLED


def test_rate_and_only_choose_which_requests_fail() -> None:
    with FaultProxy(mode="http500", rate=0.0) as none, FaultProxy(mode="http500", only={"sts"}) as sts_only:
        for url in (none.url, sts_only.url):
            ec2 = boto3.client(
                "ec2", region_name="us-east-1", endpoint_url=url, aws_access_key_id="k",
                aws_secret_access_key="s",  # noqa: S106 - fake
                config=botocore.config.Config(retries={"total_max_attempts": 1}),
            )  # fmt: skip
            with pytest.raises((botocore.exceptions.ClientError, botocore.parsers.ResponseParserError)):
                ec2.describe_volumes()  # passed through to no upstream: a plain-text 502
        assert none.counts == {"pass": 1} and sts_only.counts == {"pass": 1}


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        FaultProxy(mode="explode")
