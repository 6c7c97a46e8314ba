"""The fleet benchmark's computed floor (bench/fleet_floor.py) on hand-made stats with answers worked out
by hand, through the sandbox model's own parser (so `family` and `bucket` are the real ones)."""

from __future__ import annotations

import pytest
from bench.fleet_floor import computed_floor

from opsbook.sandbox.aws.model import parse_model

LAT = {"base_ms": 10, "per_item_ms": 0, "jitter_ms": 0, "source": "test"}
MODEL = parse_model(
    {
        "read_prefixes": ["Describe"],
        "defaults": {
            "latency": LAT,
            "read": {"capacity": 50, "refill": 10, "source": "test"},
            "write": {"capacity": 50, "refill": 10, "source": "test"},
        },
        "services": {"ec2": {"read": {"capacity": 100, "refill": 20, "source": "test"}}},
    }
)
# account 111: credentials twice at 0.05 s each (mean STS 0.05; two accounts' AssumeRoles, each a chain
# of one call, not 0.1 s of pages); DescribeVolumes 4 calls, one of them
# throttled, 1.2 s in all (mean 0.3) -> 3 needed pages in a row: 0.9 + 0.05 = 0.95 s; DescribeSnapshots
# one page: 0.2 + 0.05 = 0.25 s. Its ec2:read bucket sees 4 needed calls, far below 100: no wait.
SMALL = {
    "111|us-east-1|sts:AssumeRole": {"calls": 2, "throttled": 0, "items": 0, "latency_s": 0.1},
    "111|r2|ec2:DescribeVolumes": {"calls": 1, "throttled": 0, "items": 1, "latency_s": 0.08},
    "111|r1|ec2:DescribeVolumes": {"calls": 4, "throttled": 1, "items": 3000, "latency_s": 1.2},
    "111|r1|ec2:DescribeSnapshots": {"calls": 1, "throttled": 0, "items": 10, "latency_s": 0.2},
}
# account 222: three listings of 50 fast pages (0.01 s each): each chain 50 x 0.01 + 0.05 = 0.55 s, but
# all 150 share 222|r1|ec2:read (capacity 100, refill 20/s): the last 50 wait (150 - 100) / 20 = 2.5 s,
# then take 0.01 s, after the 0.05 s credentials: 2.56 s, the floor.
BUSY = {
    f"222|r1|ec2:{op}": {"calls": 50, "throttled": 0, "items": 50, "latency_s": 0.5}
    for op in ("DescribeAddresses", "DescribeImages", "DescribeNetworkInterfaces")
}


def test_chain_bound() -> None:
    floor = computed_floor(SMALL, MODEL)
    assert floor.seconds == pytest.approx(0.95)
    assert floor.chain == "111|r1|ec2:DescribeVolumes"
    assert floor.bucket_s == 0.0


def test_bucket_bound() -> None:
    floor = computed_floor(SMALL | BUSY, MODEL)
    assert floor.seconds == pytest.approx(2.56)
    assert floor.bucket == "222|r1|ec2:read"
    assert floor.chain_s == pytest.approx(0.95)
