"""botocore's event system, without redoing the same work for every session and client of a run.

A fleet run (50 accounts x 2 regions) makes ~100 sessions and ~550 clients for ~1,250 calls, and each of
them redid botocore's event bookkeeping from scratch (a session and its five clients: 14-18 ms of CPU, 7-8 ms
with this module):

- `EventAliaser` rewrites each event name through botocore's alias table (a split and a scan of the table)
  and caches the answer per aliaser. Every session gets a new aliaser and every client a copy, each with an
  empty cache, so each session's ~120 built-in registrations and each client's registrations and first
  calls did the rewrite again (35,000 rewrites in the run). The answer depends only on the name and the
  table, so aliasers with botocore's own table share one cache, and a copy shares its original's.
- Registering a handler checks that it accepts **kwargs with `inspect.getfullargspec` (19,000 times in the
  run, for the same few hundred functions). The answer for a function never changes, so it is kept per
  function (bound methods by their function; other callables are asked every time, as botocore does).

`install()` is idempotent. If botocore no longer has what is patched here, it leaves botocore alone.
"""

from __future__ import annotations

import threading
import types
import weakref
from typing import Any

import botocore.hooks

_lock = threading.Lock()
_installed = False
# one cache for every aliaser on botocore's own table: event name -> aliased event name
_DEFAULT_ALIASES: dict[str, str] = {}
_KWARGS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def install() -> bool:
    """Patch botocore's EventAliaser and kwargs check; False when botocore lacks what they rely on."""
    global _installed
    with _lock:
        if _installed:
            return True
        aliaser = getattr(botocore.hooks, "EventAliaser", None)
        table = getattr(botocore.hooks, "EVENT_ALIASES", None)
        accepts = getattr(botocore.hooks, "accepts_kwargs", None)
        probe = aliaser(botocore.hooks.HierarchicalEmitter()) if aliaser is not None else None
        if not isinstance(table, dict):
            return False
        if (
            probe is None
            or not isinstance(getattr(probe, "_alias_name_cache", None), dict)
            or getattr(probe, "_event_aliases", None) is not table
            or accepts is None
        ):
            return False
        _share_alias_caches(aliaser, table)
        botocore.hooks.accepts_kwargs = _remembered(accepts)
        _installed = True
        return True


def _share_alias_caches(aliaser: Any, table: Any) -> None:
    make = aliaser.__init__
    copy = aliaser.__copy__

    def __init__(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        make(self, event_emitter, event_aliases)
        if self._event_aliases is table:  # botocore's own table (a caller's own gets its own cache)
            self._alias_name_cache = _DEFAULT_ALIASES

    def __copy__(self: Any) -> Any:
        new = copy(self)
        if new._event_aliases == self._event_aliases:  # botocore copies the table: same names, same answers
            new._alias_name_cache = self._alias_name_cache
        return new

    aliaser.__init__ = __init__
    aliaser.__copy__ = __copy__


def _remembered(accepts: Any) -> Any:
    def accepts_kwargs(func: Any) -> Any:
        key = func.__func__ if isinstance(func, types.MethodType) else func
        if not isinstance(key, types.FunctionType):
            return accepts(func)
        found = _KWARGS.get(key)
        if found is None:
            found = _KWARGS[key] = bool(accepts(func))
        return found

    return accepts_kwargs
