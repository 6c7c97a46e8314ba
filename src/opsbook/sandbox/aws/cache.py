"""The read-response cache: moto's answers to read operations, kept so a fleet of clients listing the
same seeded estate does not make moto serialise it again for every page (the sandbox's CPU).

Keyed by the whole request minus signature and date (account, region, service, method, path, query,
body, target/content type). Any other call, a `SandboxData.later` timer firing and every `emit` drop it
all (`invalidate`); so does the sandbox's own seeding. An answer computed while something changed is not
kept (a generation number taken before and compared after). Bounded in bytes, least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from opsbook.sandbox.aws.wire import Call, Response

MAX_BYTES = 256 * 1024 * 1024
_KEY_HEADERS = ("x-amz-target", "content-type", "accept", "smithy-protocol")
Key = tuple[object, ...]


def cache_key(call: Call, query_string: str) -> Key:
    return (
        call.account_id, call.region, call.service, call.method, call.path, query_string, call.body,
        *(call.headers.get(h, "") for h in _KEY_HEADERS),
    )  # fmt: skip


class ResponseCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.generation = 0
        self.hits = 0
        self._bytes = 0
        self._entries: OrderedDict[Key, Response] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Response | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: Key, generation: int, response: Response) -> None:
        """Keep `response` unless anything changed since `generation` was read."""
        size = len(response[2])
        if size > self.max_bytes:
            return
        with self._lock:
            if generation != self.generation:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._entries[key] = response
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped[2])

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
