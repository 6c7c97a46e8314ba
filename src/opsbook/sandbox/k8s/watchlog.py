"""The change log behind `?watch=1`: every write the store commits, as a watch event, for a while.

A bounded deque of (resourceVersion, type, resource key, object) plus a condition variable, so a watch
request streams the events after the resourceVersion it was given and then blocks until the next write.
A resourceVersion older than the oldest kept event is "too old" (the API server's 410 Gone).
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from typing import Any, NamedTuple

Obj = dict[str, Any]


class WatchEvent(NamedTuple):
    revision: int
    type: str  # ADDED, MODIFIED, DELETED
    key: str  # the resource type's key: pods, deployments.apps, ...
    obj: Obj


class WatchLog:
    def __init__(self, size: int = 4096) -> None:
        self._events: deque[WatchEvent] = deque(maxlen=size)
        self._changed = threading.Condition()
        self._floor = 0  # events after this revision are all kept

    def record(self, revision: int, kind: str, key: str, obj: Obj) -> None:
        with self._changed:
            if len(self._events) == self._events.maxlen:
                self._floor = self._events[0].revision
            self._events.append(WatchEvent(revision, kind, key, copy.deepcopy(obj)))
            self._changed.notify_all()

    def after(self, revision: int, key: str) -> list[WatchEvent] | None:
        """Events on `key` newer than `revision`, oldest first; None when `revision` is too old."""
        with self._changed:
            if revision < self._floor:
                return None
            return [e for e in self._events if e.revision > revision and e.key == key]

    def wait(self, revision: int, timeout: float) -> None:
        """Block until an event newer than `revision` exists, or `timeout` seconds pass."""
        with self._changed:
            self._changed.wait_for(
                lambda: bool(self._events) and self._events[-1].revision > revision, timeout
            )
