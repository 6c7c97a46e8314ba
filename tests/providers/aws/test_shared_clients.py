"""providers/aws/shared_clients.py: botocore's private ClientCreator methods are replaced only when they are
the ones it was written against; anything else leaves botocore as it is."""

from __future__ import annotations

from typing import Any

import botocore.client

from opsbook.providers.aws import shared_clients
from opsbook.providers.aws.models import SharedLoader


class Creator:
    """ClientCreator's two private methods, counting what they make."""

    made = 0

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def _load_service_model(self, service_name: str, api_version: str | None = None) -> Any:
        Creator.made += 1
        return {"model": service_name, "n": Creator.made}

    def _create_client_class(self, service_name: str, service_model: Any) -> Any:
        Creator.made += 1
        return type(f"Client{Creator.made}", (), {})


def fresh(**methods: Any) -> type:
    return type("Creator", (Creator,), methods)


def test_this_botocore_is_patched() -> None:
    # fails when a botocore upgrade renames or changes them: clients would silently stop being shared
    assert shared_clients.patchable(botocore.client.ClientCreator)
    assert shared_clients.install() is True


def test_a_run_loader_shares_what_an_other_loader_does_not() -> None:
    cls = fresh()
    assert shared_clients.patch(cls) is True
    shared = SharedLoader()
    a, b = cls(shared), cls(shared)
    assert a._load_service_model("ec2") is b._load_service_model("ec2")
    model = a._load_service_model("ec2")
    assert a._create_client_class("ec2", model) is b._create_client_class("ec2", model)
    other = cls(object())  # not opsbook's loader: botocore's behaviour, a new one each time
    assert other._load_service_model("ec2") is not other._load_service_model("ec2")


def missing(self: Any, service_name: str) -> Any:  # one parameter fewer than botocore's today
    return None


def test_a_renamed_or_changed_method_leaves_botocore_alone() -> None:
    renamed = fresh(_load_service_model=None)
    changed = fresh(_create_client_class=missing)
    for cls in (renamed, changed):
        before = dict(vars(cls))
        assert shared_clients.patch(cls) is False
        assert dict(vars(cls)) == before
