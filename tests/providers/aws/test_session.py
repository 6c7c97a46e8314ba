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
