"""AWS names checked offline: regions (from botocore's partition data, no network) and ARNs.

A region is known when botocore's `partitions.json` lists it for a partition (a region newer than the
installed botocore needs a botocore upgrade). An ARN is `arn:<partition>:<service>:<region>:<account>:
<resource>`, with a partition botocore knows; an IAM role ARN is `arn:<partition>:iam::<12 digits>:role/
[<path>/]<name>`.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator


@functools.cache
def partitions() -> dict[str, tuple[str, ...]]:
    """Partition id (aws, aws-cn, aws-us-gov, ...) -> its regions, from the installed botocore."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("partitions")
    out: dict[str, tuple[str, ...]] = {}
    for p in data["partitions"]:
        pattern = re.compile(p["regionRegex"])
        out[p["id"]] = tuple(sorted(r for r in p["regions"] if pattern.match(r)))  # not "aws-global"
    return out


def partition_of(region: str) -> str | None:
    return next((pid for pid, regions in partitions().items() if region in regions), None)


def check_region(region: str) -> str:
    """`region` if some partition has it, else ValueError saying so (with the nearest known names)."""
    if partition_of(region) is not None:
        return region
    from botocore import __version__ as botocore_version

    known = [r for regions in partitions().values() for r in regions]
    near = difflib.get_close_matches(region, known, n=3, cutoff=0.75)
    hint = f"did you mean {' or '.join(near)}?" if near else "e.g. us-east-1, eu-west-1"
    raise ValueError(
        f"unknown AWS region {region!r} (not in botocore {botocore_version}'s partitions; {hint})"
    )


Region = Annotated[str, AfterValidator(check_region)]
"""A pydantic field type: a region some AWS partition has."""


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE = re.compile(r"^role/(?:[\x21-\x2e\x30-\x7e]+/)*[\w+=,.@-]{1,64}$")


def parse_arn(text: str) -> Arn:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"{text!r} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)")
    _, partition, service, region, account, resource = parts
    if partition not in partitions():
        raise ValueError(f"{text!r}: unknown partition {partition!r} (known: {', '.join(partitions())})")
    if not re.fullmatch(r"[a-z0-9-]+", service):
        raise ValueError(f"{text!r}: bad service name {service!r}")
    if region and partition_of(region) != partition:
        raise ValueError(f"{text!r}: region {region!r} is not in partition {partition!r}")
    if account and not _ACCOUNT.match(account):
        raise ValueError(f"{text!r}: account must be 12 digits, got {account!r}")
    if not resource:
        raise ValueError(f"{text!r}: no resource")
    return Arn(partition, service, region, account, resource)


def parse_role_arn(text: str) -> Arn:
    """An IAM role ARN, e.g. arn:aws:iam::123456789012:role/ops/opsbook-read."""
    shape = "arn:<partition>:iam::<12-digit account>:role/<name>"
    arn = parse_arn(text)
    if arn.service != "iam" or arn.region:
        raise ValueError(f"{text!r} is not an IAM role ARN ({shape})")
    if not arn.account:
        raise ValueError(f"{text!r}: no account id ({shape})")
    if not _ROLE.match(arn.resource):
        raise ValueError(f"{text!r}: resource must be role/[path/]name ({shape})")
    return arn


def check_role_arn(text: str) -> str:
    parse_role_arn(text)
    return text


RoleArn = Annotated[str, AfterValidator(check_role_arn)]
"""A pydantic field type: a fully parsed IAM role ARN."""
