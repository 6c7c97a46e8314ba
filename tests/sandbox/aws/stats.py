"""The sandbox's `/opsbook-api/stats` as tests read it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def stats(sandbox: Any, method: str = "GET") -> dict[str, Any]:
    """GET the sandbox's stats (DELETE: reset them, and get the fresh ones)."""
    req = urllib.request.Request(f"{sandbox.aws_url}/opsbook-api/stats", method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the sandbox on 127.0.0.1
        return json.loads(resp.read())  # type: ignore[no-any-return]
