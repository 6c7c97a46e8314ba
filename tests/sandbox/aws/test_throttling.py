"""The sandbox's throttling answers in each protocol what botocore reads as throttling; its stats count it;
its read cache is dropped by a change. Against the session sandbox, with the model turned on in process."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

from opsbook.sandbox.aws.model import load_model
from opsbook.sandbox.estate import REGION
from tests.sandbox.aws.stats import stats

# service -> (call, kwargs, the error code botocore must see, HTTP status)
CALLS: dict[str, tuple[str, dict[str, Any], str, int]] = {
    "ec2": ("describe_volumes", {}, "RequestLimitExceeded", 503),  # EC2 query
    "rds": ("describe_db_instances", {}, "Throttling", 400),  # query
    "elbv2": ("describe_load_balancers", {}, "Throttling", 400),  # query
    "secretsmanager": ("list_secrets", {}, "ThrottlingException", 400),  # JSON
    "logs": ("describe_log_groups", {}, "ThrottlingException", 400),  # JSON
    "cloudwatch": ("describe_alarms", {}, "ThrottlingException", 400),  # rpc-v2-cbor
    "eks": ("list_clusters", {}, "ThrottlingException", 429),  # rest-json
    "s3": ("list_buckets", {}, "SlowDown", 503),  # rest-xml
}
KEY = "opsbooksandbox"


def client(sandbox: Any, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=sandbox.aws_url,
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.mark.parametrize("service", sorted(CALLS))
def test_an_empty_bucket_answers_the_services_own_throttling_error(sandbox: Any, service: str) -> None:
    op, kwargs, code, status = CALLS[service]
    c = client(sandbox, service)
    with sandbox.traffic.modelled(throttle="aws", model=load_model().with_buckets(1, 0)):
        stats(sandbox, "DELETE")
        getattr(c, op)(**kwargs)  # the bucket's one token
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            getattr(c, op)(**kwargs)
        seen = stats(sandbox)
    response = caught.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert ThrottledRetryableChecker().is_retryable(RetryContext(attempt_number=1, parsed_response=response))
    assert (seen["calls"], seen["throttled"]) == (2, 1)
    assert seen["model"] == {"latency": "none", "throttle": "aws"}
    (bucket,) = seen["by_bucket"].values()
    assert bucket == {"calls": 2, "throttled": 1}


def test_throttling_is_off_again_after_the_block(sandbox: Any) -> None:
    with sandbox.traffic.modelled(throttle="aws", model=load_model().with_buckets(0, 0)):
        with pytest.raises(botocore.exceptions.ClientError):
            client(sandbox, "ec2").describe_volumes()
    client(sandbox, "ec2").describe_volumes()
    assert sandbox.traffic.throttle == "none"


def test_retries_are_counted_from_the_sdk_attempt_header(sandbox: Any) -> None:
    ec2 = boto3.client(
        "ec2", region_name=REGION, endpoint_url=sandbox.aws_url, aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2}),
    )  # fmt: skip
    with sandbox.traffic.modelled(throttle="aws", model=load_model().with_buckets(0, 0)):
        stats(sandbox, "DELETE")
        with pytest.raises(botocore.exceptions.ClientError):
            ec2.describe_volumes()
        seen = stats(sandbox)
    assert (seen["calls"], seen["throttled"], seen["retries"]) == (2, 2, 1)


def test_a_change_drops_the_read_cache_and_cached_answers_still_wait(sandbox: Any) -> None:
    ec2 = client(sandbox, "ec2")
    waits: list[float] = []
    traffic = sandbox.traffic
    sleep, traffic.sleep = traffic.sleep, waits.append  # record the waits instead of sleeping them
    volume = None
    try:
        with traffic.modelled(latency="aws", cache=True):
            before = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
            hits = traffic.cache.hits
            ec2.describe_volumes()
            assert traffic.cache.hits == hits + 1  # the repeat came from the cache ...
            assert len(waits) == 2 and min(waits) > 0  # ... and waited as the first did
            client(sandbox, "s3").list_buckets()  # a REST GET and STS change nothing: the cache stays
            client(sandbox, "sts").get_caller_identity()
            ec2.describe_volumes()
            assert traffic.cache.hits == hits + 2
            volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
            after = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
            assert after == before | {volume}
            ec2.delete_volume(VolumeId=volume)
            volume = None
            assert {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]} == before
    finally:
        traffic.sleep = sleep
        if volume is not None:
            ec2.delete_volume(VolumeId=volume)
    assert traffic.cache is None and traffic.latency == "none"


def test_a_timer_of_the_sandbox_drops_the_read_cache(sandbox: Any) -> None:
    import threading

    done = threading.Event()
    with sandbox.traffic.modelled(cache=True):
        cache = sandbox.traffic.cache
        client(sandbox, "ec2").describe_volumes()
        assert len(cache) == 1
        sandbox.data.later(0, done.set)
        assert done.wait(5)
        assert len(cache) == 0


def test_waits_run_side_by_side_and_the_listen_backlog_holds_hundreds(sandbox: Any) -> None:
    import dataclasses
    import shutil
    import subprocess
    import time
    from concurrent.futures import ThreadPoolExecutor

    from opsbook.sandbox.aws.model import Latency

    slow = dataclasses.replace(load_model(), latencies={"": Latency(500, 0, 0, "test: half a second")})
    ec2 = boto3.client(
        "ec2", region_name=REGION, endpoint_url=sandbox.aws_url, aws_access_key_id=KEY,
        aws_secret_access_key=KEY, config=botocore.config.Config(max_pool_connections=40),
    )  # fmt: skip
    with sandbox.traffic.modelled(latency="aws", model=slow), ThreadPoolExecutor(40) as pool:
        t0 = time.monotonic()
        list(pool.map(lambda _: ec2.describe_volumes(), range(40)))
        elapsed = time.monotonic() - t0
    assert elapsed < 8, elapsed  # 40 half-second waits one after another would take 20 s
    if shutil.which("ss"):
        port = sandbox.aws_url.rsplit(":", 1)[1]
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True)
        assert int(out.stdout.split()[2]) >= 1024, out.stdout  # a listening socket's Send-Q is its backlog
