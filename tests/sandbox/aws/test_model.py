"""The AWS latency/throttling model's numbers and rules, in process (no server)."""

from __future__ import annotations

import pytest

from opsbook.core.errors import ConfigError
from opsbook.sandbox.aws.model import (
    Bucket,
    TokenBucket,
    cache_setting,
    jitter_draw,
    load_model,
    mode_setting,
)
from opsbook.sandbox.aws.traffic import items_in


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_spends_its_capacity_then_throttles_then_refills_over_time() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Bucket(capacity=100, refill=20), clock)
    assert all(bucket.take() for _ in range(100))  # a full bucket: 100 at once
    assert not bucket.take()  # empty: throttled
    clock.now += 0.5  # 10 tokens back
    assert sum(bucket.take() for _ in range(15)) == 10
    clock.now += 60  # refills only up to capacity
    assert sum(bucket.take() for _ in range(150)) == 100


def test_ec2_describe_is_the_documented_non_mutating_bucket() -> None:
    model = load_model()
    assert model.family("ec2", "DescribeVolumes") == "ec2:read"
    assert model.bucket("ec2:read") == Bucket(100, 20, model.bucket("ec2:read").source)
    assert "ec2-api-throttling" in model.bucket("ec2:read").source
    assert model.family("ec2", "CreateVolume") == "ec2:write"
    assert model.bucket("ec2:write").refill < model.bucket("ec2:read").refill


def test_families_read_write_and_operations_with_their_own_bucket() -> None:
    model = load_model()
    assert model.family("cloudwatch", "GetMetricData") == "cloudwatch:GetMetricData"
    assert model.bucket("cloudwatch:GetMetricData").capacity == 50
    assert model.family("rds", "DescribeDBInstances") == "rds:read"
    assert model.family("rds", "ModifyDBInstance") == "rds:write"
    # a service with no numbers of its own uses the defaults, which say they are assumed
    assert model.family("acm", "ListCertificates") == "acm:read"
    assert model.bucket("acm:read").source.startswith("assumed")
    # REST requests without an operation name: GET/HEAD read, anything else writes
    assert model.family("s3", "", "HEAD") == "s3:read"
    assert model.family("s3", "", "PUT") == "s3:write"


def test_every_number_says_where_it_comes_from() -> None:
    model = load_model()
    sources = [b.source for b in model.buckets.values()] + [lat.source for lat in model.latencies.values()]
    assert all(s.startswith(("https://", "assumed")) for s in sources), sources


def test_latency_is_base_plus_per_item_plus_bounded_jitter() -> None:
    model = load_model()
    ec2 = model.latency("ec2")
    assert model.latency_s("ec2", 0) == pytest.approx(ec2.base_ms / 1000)
    assert model.latency_s("ec2", 1000) == pytest.approx((ec2.base_ms + 1000 * ec2.per_item_ms) / 1000)
    draws = [jitter_draw("acct", "us-east-1", "DescribeVolumes", n) for n in range(500)]
    assert all(0 <= d < 1 for d in draws) and max(draws) - min(draws) > 0.5  # spread over [0, 1)
    assert jitter_draw("a", 1) == jitter_draw("a", 1)  # seeded: the same request, the same draw
    waits = [model.latency_s("ec2", 10, d) for d in draws]
    low = model.latency_s("ec2", 10)
    assert all(low <= w < low + ec2.jitter_ms / 1000 for w in waits)


def test_items_are_counted_in_each_protocol() -> None:
    assert items_in(b"<DescribeVolumesResponse><volumeSet><item>a</item><item>b</item></volumeSet>") == 2
    users = b"".join(b"<member><UserName>u%d</UserName></member>" % n for n in range(3))
    assert items_in(b"\n  <ListUsersResponse><Users>" + users + b"</Users></ListUsersResponse>") == 3
    assert items_in(b'{"SecretList": [{"Name": "a"}, {"Name": "b"}], "NextToken": "x"}') == 2
    assert items_in(b"") == 0


def test_mode_settings_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOOK_SANDBOX_LATENCY", raising=False)
    assert mode_setting("OPSBOOK_SANDBOX_LATENCY", None) == "none"
    assert mode_setting("OPSBOOK_SANDBOX_LATENCY", "aws") == "aws"
    monkeypatch.setenv("OPSBOOK_SANDBOX_LATENCY", "aws")
    assert mode_setting("OPSBOOK_SANDBOX_LATENCY", None) == "aws"
    monkeypatch.setenv("OPSBOOK_SANDBOX_LATENCY", "slow")
    with pytest.raises(ConfigError, match="OPSBOOK_SANDBOX_LATENCY='slow': expected one of aws, none"):
        mode_setting("OPSBOOK_SANDBOX_LATENCY", None)
    monkeypatch.delenv("OPSBOOK_SANDBOX_CACHE", raising=False)
    assert cache_setting(None, "aws") and not cache_setting(None, "none") and not cache_setting(False, "aws")
    monkeypatch.setenv("OPSBOOK_SANDBOX_CACHE", "maybe")
    with pytest.raises(ConfigError, match="OPSBOOK_SANDBOX_CACHE"):
        cache_setting(None, "aws")
