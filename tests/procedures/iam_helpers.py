"""Shared by the access procedure tests: prod's IAM in the session sandbox, and carol put back as seeded
afterwards (moto state is process-wide)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds import users
from opsbook.sandbox.estate import account

PROD = account("prod")


def restoring_carol(sandbox: Any) -> Iterator[Any]:
    """(For a fixture) prod's IAM client; afterwards carol is back as seeded and no test user (erin) is left."""
    client = clients_for(sandbox.aws_url, PROD)("iam")
    try:
        yield client
    finally:
        remove(client, "erin")
        if not exists(client, users.INACTIVE):
            remove_mfa(client, users.INACTIVE)
            users.seed_carol(client, PROD, datetime.now(UTC))
            users.finish(datetime.now(UTC), sandbox.data)


def exists(iam: Any, name: str) -> bool:
    try:
        iam.get_user(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def remove_mfa(iam: Any, name: str) -> None:
    for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]:
        if d["SerialNumber"].endswith(f":mfa/{name}"):
            iam.delete_virtual_mfa_device(SerialNumber=d["SerialNumber"])


def remove(iam: Any, name: str) -> None:
    if not exists(iam, name):
        return
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    iam.delete_user(UserName=name)
