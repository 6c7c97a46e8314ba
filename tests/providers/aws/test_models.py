"""botocore's service models as a run loads them: plain dicts without documentation, parsed once per run
however many targets create their clients at the same moment."""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.providers.aws.models import lean_loader
from opsbook.providers.aws.session import SessionFactory


def walk(obj: Any) -> Any:
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk(v)


def test_models_are_plain_dicts_without_documentation() -> None:
    model = lean_loader().load_service_model("ec2", "service-2")
    dicts = list(walk(model))
    assert len(dicts) > 10_000  # the whole model is there
    assert not any(isinstance(d, OrderedDict) for d in dicts)
    docs = [d["documentation"] for d in dicts if isinstance(d.get("documentation"), str)]
    assert docs and set(docs) == {""}  # kept as keys (botocore reads some), emptied


@pytest.mark.usefixtures("sandbox")
def test_clients_of_all_targets_share_one_model(sandbox_config: Config) -> None:
    factory = SessionFactory(sandbox_config)
    targets = [(a, r) for a in sandbox_config.accounts for r in ("us-east-1", "us-west-2")]

    def ec2(target: tuple[Any, str]) -> Any:
        account, region = target
        return factory.client(account, region, "ec2", f"aws:{account.name}/{region}")

    with ThreadPoolExecutor(len(targets)) as pool:  # all at once, as a run's targets start
        clients = list(pool.map(ec2, targets))
    models = {id(c.meta.service_model._service_description) for c in clients}
    assert len(clients) == len(targets) >= 4 and len(models) == 1
    # a service whose client reads an entry's documentation at creation (clientContextParams) still works
    s3 = factory.client(sandbox_config.accounts[0], "us-east-1", "s3", "aws:x")
    assert s3.meta.service_model.client_context_parameters


def test_factories_of_one_process_share_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Temporal worker makes a session factory per target activity: each parsed every model again
    a, b = SessionFactory(Config()), SessionFactory(Config())
    assert a._loader is b._loader is lean_loader()
    monkeypatch.setenv("AWS_DATA_PATH", "/nonexistent-models")  # another search path: another loader
    assert lean_loader() is not a._loader and lean_loader() is lean_loader()
