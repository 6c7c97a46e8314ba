"""One ServiceModel and one client class per service for all of a run's sessions.

For every client, botocore's ClientCreator builds a new ServiceModel over the (shared) model dict and a new
client class: a function and a lazy docstring per operation, about 1.5 MB and 10-30 ms of CPU for EC2's
~750 operations. A run makes one client per account x region x service, and each target in flight holds
its own (32 targets x 6-8 services at once: most of a fleet run's memory). Clients of one service differ
only in their arguments (credentials, region, endpoint, config), not in class or model, so creators whose
loader is the run's SharedLoader take both from it: the first client of a service makes them, every later
one reuses them (the ServiceModel's shape caches are then filled once too). Any other botocore use in the
process (its own loader) is left exactly as botocore does it.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import botocore.client

from opsbook.providers.aws.models import SharedLoader

T = TypeVar("T")
_lock = threading.Lock()
_installed: bool | None = None  # None: not tried yet
log = logging.getLogger(__name__)


def _shared(loader: SharedLoader, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """The loader's value for `key`, made once (under the loader's lock) whichever thread asks first."""
    with loader._lock:  # an RLock: making a class may load a model through the same loader
        found: T | None = loader.made.get(key)
        if found is None:
            found = loader.made[key] = make()
        return found


# what the replacements below take; a botocore whose private methods differ is left as it is
EXPECTED = {
    "_load_service_model": ["self", "service_name", "api_version"],
    "_create_client_class": ["self", "service_name", "service_model"],
}


def patchable(creator: type) -> bool:
    """`creator` has both private methods, with the parameters the replacements take."""
    for name, params in EXPECTED.items():
        method = getattr(creator, name, None)
        if not callable(method):
            return False
        try:
            if list(inspect.signature(method).parameters) != params:
                return False
        except (TypeError, ValueError):
            return False
    return True


def patch(creator: Any) -> bool:
    """Make `creator` (ClientCreator) consult a SharedLoader for the model and the class. False, and nothing
    changed, when its methods are not the ones this was written against (a newer botocore): clients are then
    made as botocore makes them, each with its own model and class, which costs memory, not correctness."""
    if not patchable(creator):
        log.debug("botocore's ClientCreator is not the expected one: clients are not shared")
        return False
    make_model = creator._load_service_model
    make_class = creator._create_client_class

    def load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
        loader = getattr(self, "_loader", None)
        if not isinstance(loader, SharedLoader):
            return make_model(self, service_name, api_version)
        key = ("model", service_name, api_version)
        return _shared(loader, key, lambda: make_model(self, service_name, api_version))

    def create_client_class(self: Any, service_name: str, service_model: Any) -> Any:
        loader = getattr(self, "_loader", None)
        if not isinstance(loader, SharedLoader):
            return make_class(self, service_name, service_model)
        key = ("class", service_name, id(service_model))  # the model is shared: one class per model
        return _shared(loader, key, lambda: make_class(self, service_name, service_model))

    creator._load_service_model = load_service_model
    creator._create_client_class = create_client_class
    return True


def install() -> bool:
    """Patch botocore's ClientCreator once per process (idempotent); whether clients are shared."""
    global _installed
    with _lock:
        if _installed is None:
            _installed = patch(botocore.client.ClientCreator)
        return _installed
