"""botocore's service models, loaded lean: plain dicts, documentation left out; and its timestamps, parsed lean.

A client needs its service's model (EC2's is 7 MB of JSON); botocore parses every model file into
OrderedDicts and keeps each operation's and shape's documentation, which nothing at run time reads. A run
that talks to ten services held ~25 MB of help text, and OrderedDicts parse ten times slower than dicts.
Every session of a run shares one such loader (`SessionFactory`), and it loads under a lock: botocore's
own cache has none, so targets starting together each parsed and kept (through their clients) a copy of
the same model — six copies of EC2's for the benchmark's six targets.

`parse_timestamp` reads ISO 8601 with the standard library: botocore's default goes through dateutil, which
takes ~20 times longer and, on a host whose zone is UTC, gives every parsed time its own `tzlocal()`
object, kept by every inventory record that holds a time (14,000 of them for the benchmark's volumes).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from typing import Any

import botocore.loaders
import botocore.utils


def _lean(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    # emptied, not removed: botocore reads some entries' documentation by key (clientContextParams)
    if isinstance(obj.get("documentation"), str):
        obj["documentation"] = ""
    return obj


class LeanFiles(botocore.loaders.JSONFileLoader):
    """botocore's JSON file loader (plain and .gz files) with `_lean` objects."""

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read().decode("utf-8")
        return json.loads(payload, object_pairs_hook=_lean)


class SharedLoader(botocore.loaders.Loader):
    """botocore's loader (and its per-instance cache), one file at a time: a model is parsed once, whichever
    thread asks first, and every other thread gets that same object."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()
        self.made: dict[tuple[Any, ...], Any] = {}  # what shared_clients builds once per run from a model

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        with self._lock:
            return super().load_service_model(service_name, type_name, api_version)

    def load_data_with_path(self, name: str) -> Any:
        with self._lock:
            return super().load_data_with_path(name)


_loaders: dict[str | None, SharedLoader] = {}
_loaders_lock = threading.Lock()


def lean_loader() -> SharedLoader:
    """The process's model loader (one per AWS_DATA_PATH), like botocore's own, lean and shared by threads; the
    clients its sessions make share one ServiceModel and client class per service (shared_clients.py). One per
    process, not per run: a Temporal worker runs many targets' activities at once, each with its own session
    factory, and a loader each kept a parsed copy of every model per target in flight (two workers of a
    200-account run grew to 1.5 GB each)."""
    from opsbook.providers.aws import fast_events, fast_parsers, shared_clients

    shared_clients.install()
    fast_events.install()
    fast_parsers.install()
    paths = os.environ.get("AWS_DATA_PATH")
    with _loaders_lock:
        loader = _loaders.get(paths)
        if loader is None:
            extra = (
                [os.path.expanduser(os.path.expandvars(p)) for p in paths.split(os.pathsep)]
                if paths
                else None
            )
            loader = _loaders[paths] = SharedLoader(extra_search_paths=extra, file_loader=LeanFiles())
        return loader


def parse_timestamp(value: Any) -> datetime:
    """An ISO 8601 time with a zone (what query, XML and most JSON APIs send) as an aware datetime, as botocore's
    would give (zone kept); anything else (epoch numbers, RFC 822 headers, no zone) as botocore parses it."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    result: datetime = botocore.utils.parse_timestamp(value)
    return result
