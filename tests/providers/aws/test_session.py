"""The session factory against the sandbox: one AssumeRole per account however many regions run at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import TargetUnavailable
from opsbook.providers.aws.session import SessionFactory
from opsbook.providers.aws.stats import ApiStats

pytestmark = pytest.mark.usefixtures("sandbox")


def test_regions_of_one_account_share_one_assume_role(sandbox_config: Config) -> None:
    stats = ApiStats()
    factory = SessionFactory(sandbox_config, stats)
    account = sandbox_config.account("dev")
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]

    def use(region: str) -> str:
        factory.preflight(account)
        return factory.client(account, region, "sts", f"aws:dev/{region}").get_caller_identity()["Account"]

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(use, regions)) == {"111111111111"}
    assert stats.by_target()["account:dev"] == {"sts:AssumeRole": 1}


def test_unreachable_endpoint_fails_fast_and_is_remembered(sandbox_config: Config) -> None:
    acct = sandbox_config.account("dev").model_copy(update={"endpoint_url": "http://127.0.0.1:9"})
    factory = SessionFactory(sandbox_config)
    with pytest.raises(TargetUnavailable, match="unreachable"):
        factory.preflight(acct)
    with pytest.raises(TargetUnavailable):
        factory.session(acct)  # not retried a second time in the same run


def test_assumed_credentials_refresh_themselves_before_expiry(sandbox_config: Config) -> None:
    from datetime import UTC, datetime, timedelta

    stats = ApiStats()
    factory = SessionFactory(sandbox_config, stats)
    account = sandbox_config.account("prod")
    creds = factory.session(account).get_credentials()
    assert creds.method == "assume-role"
    first = creds.get_frozen_credentials().access_key
    # as if the run outlived the role session: both the credentials and the fetcher's cached response expire
    creds._expiry_time = datetime.now(UTC) - timedelta(minutes=1)
    creds._refresh_using.__self__._cache.clear()
    second = creds.get_frozen_credentials().access_key
    assert second != first
    assert stats.by_target()["account:prod"] == {"sts:AssumeRole": 2}
    client = factory.client(account, "us-east-1", "sts", "aws:prod/us-east-1")
    assert client.get_caller_identity()["Account"] == "333333333333"


def test_a_finished_account_lets_its_session_and_clients_go(sandbox_config: Config) -> None:
    factory = SessionFactory(sandbox_config)
    dev, prod = sandbox_config.account("dev"), sandbox_config.account("prod")
    for acct in (dev, prod):
        factory.preflight(acct)
        factory.client(acct, "us-east-1", "sts", f"aws:{acct.name}/us-east-1")
    factory.client(dev, "us-west-2", "sts", "aws:dev/us-west-2")
    factory.release(dev, "us-east-1")  # one region's target done: only its clients go
    assert sorted(k[:2] for k in factory._clients) == [("dev", "us-west-2"), ("prod", "us-east-1")]
    factory.forget(dev)  # the account's last target done: its session and remaining clients go
    assert set(factory._sessions) == {"prod"} and [k[0] for k in factory._clients] == ["prod"]
    factory.preflight(dev)  # not probed again: the account answered in this run
    assert "dev" not in factory._sessions


def test_clients_of_one_service_share_their_model_and_class(sandbox_config: Config) -> None:
    # botocore builds both per client (EC2's class alone is ~1.5 MB); a run's clients take them from the run's
    # loader, and each still has its own credentials and region
    import boto3

    factory = SessionFactory(sandbox_config)
    dev, prod = sandbox_config.account("dev"), sandbox_config.account("prod")
    a = factory.client(dev, "us-east-1", "ec2", "aws:dev/us-east-1")
    b = factory.client(prod, "us-west-2", "ec2", "aws:prod/us-west-2")
    assert a is not b and type(a) is type(b) and a.meta.service_model is b.meta.service_model
    assert (a.meta.region_name, b.meta.region_name) == ("us-east-1", "us-west-2")
    sts = [factory.client(x, "us-east-1", "sts", "t").get_caller_identity()["Account"] for x in (dev, prod)]
    assert sts == ["111111111111", "333333333333"]  # each its own assumed role
    s3 = factory.client(prod, "us-east-1", "s3", "aws:prod/us-east-1")
    assert hasattr(s3, "upload_file")  # boto3's additions to the class are still there
    assert isinstance(a.describe_volumes(MaxResults=5)["Volumes"], list)
    plain = boto3.Session(region_name="us-east-1").client("ec2")  # not opsbook's loader: botocore's own way
    assert type(plain) is not type(a) and plain.meta.service_model is not a.meta.service_model
