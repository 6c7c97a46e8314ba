"""botocore's event bookkeeping done once per run, not once per session and client (fast_events.py)."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import botocore.hooks
import botocore.session
import pytest

from opsbook.providers.aws import fast_events
from opsbook.providers.aws.models import lean_loader

NAMES = [
    "before-call.api.sagemaker.ListModels",
    "before-call.ec2.DescribeVolumes",
    "needs-retry.api.pricing.GetProducts",
    "provide-client-params.s3.ListObjectsV2",
]


def client(session: botocore.session.Session, service: str) -> Any:
    return session.create_client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


def test_sessions_and_clients_share_one_alias_cache_with_botocores_answers() -> None:
    lean_loader()  # installs, as every run's SessionFactory does
    one, two = botocore.session.Session(), botocore.session.Session()
    ec2 = client(one, "ec2")
    caches = {id(x._alias_name_cache) for x in (one._events, two._events, ec2.meta.events)}
    assert caches == {id(fast_events._DEFAULT_ALIASES)}
    # a table of the caller's own keeps its own cache; both give botocore's answers
    own = botocore.hooks.EventAliaser(
        botocore.hooks.HierarchicalEmitter(), dict(botocore.hooks.EVENT_ALIASES)
    )
    assert own._alias_name_cache is not fast_events._DEFAULT_ALIASES
    assert [one._events._alias_event_name(n) for n in NAMES] == [own._alias_event_name(n) for n in NAMES]
    assert one._events._alias_event_name(NAMES[0]) == "before-call.sagemaker.ListModels"
    assert copy.copy(own)._alias_name_cache is own._alias_name_cache


def test_a_handlers_kwargs_are_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    lean_loader()
    asked: list[Any] = []
    real = inspect.getfullargspec

    def counting(func: Any) -> Any:
        asked.append(func)
        return real(func)

    monkeypatch.setattr(inspect, "getfullargspec", counting)

    def handler(**_: Any) -> None:
        return None

    def no_kwargs(x: int) -> None:
        return None

    for _ in range(3):
        botocore.session.Session().register("before-call.ec2", handler)
    assert asked.count(handler) == 1
    for _ in range(2):  # still refused, every time
        with pytest.raises(ValueError, match="must accept keyword"):
            botocore.session.Session().register("before-call.ec2", no_kwargs)


def test_botocore_without_what_is_patched_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_events, "_installed", False)
    monkeypatch.delattr(botocore.hooks, "accepts_kwargs")
    init = botocore.hooks.EventAliaser.__init__
    assert fast_events.install() is False
    assert botocore.hooks.EventAliaser.__init__ is init
    monkeypatch.undo()
    monkeypatch.setattr(fast_events, "_installed", False)
    monkeypatch.setattr(botocore.hooks, "EVENT_ALIASES", None)
    assert fast_events.install() is False
    assert botocore.hooks.EventAliaser.__init__ is init
