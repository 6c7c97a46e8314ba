"""The Temporal client: where the server is (config or flags), reached within a bounded time."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, InputError, ServiceUnavailable, one_line

_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$")
CONNECTED = False  # a client was made in this process

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$")


@dataclass(frozen=True)
class Endpoint:
    address: str
    namespace: str
    task_queue: str
    connect_timeout: float


def require_extra() -> None:
    try:
        import temporalio  # noqa: F401
    except ImportError:
        raise ConfigError("Temporal needs the 'temporal' extra: pip install 'opsbook[temporal]'") from None


def check_address(address: str, where: str = "--temporal") -> str:
    m = _HOST_PORT.match(address.strip())
    if not m or not 0 < int(m["port"]) < 65536:
        raise InputError(f"{where} {address!r}: expected HOST:PORT, e.g. 127.0.0.1:7233")
    return address.strip()


def check_name(value: str, where: str) -> str:
    if not _NAME.match(value):
        raise InputError(f"{where} {value!r}: letters, digits, '.', '_' and '-' only (at most 200)")
    return value


def endpoint(cfg: Config | None, address: str | None = None, task_queue: str | None = None) -> Endpoint:
    """The server and queue from flags first, then the `temporal:` section of opsbook.yaml."""
    settings = cfg.temporal if cfg else None
    addr = address or (settings.address if settings else None)
    if not addr:
        raise InputError(
            "no Temporal server: pass --temporal HOST:PORT or set temporal.address in opsbook.yaml"
        )
    where = "--temporal" if address else "temporal.address"
    queue = task_queue or (settings.task_queue if settings else "opsbook")
    return Endpoint(
        address=check_address(addr, where),
        namespace=check_name(settings.namespace if settings else "default", "temporal.namespace"),
        task_queue=check_name(queue, "--task-queue" if task_queue else "temporal.task_queue"),
        connect_timeout=settings.connect_timeout if settings else 5.0,
    )


async def connect(ep: Endpoint) -> Any:
    """A connected `temporalio.client.Client`, or ServiceUnavailable (exit 3) within connect_timeout."""
    from temporalio.client import Client

    global CONNECTED
    CONNECTED = True  # the CLI leaves without interpreter teardown after this (cli/main.py)
    try:
        return await asyncio.wait_for(Client.connect(ep.address, namespace=ep.namespace), ep.connect_timeout)
    except TimeoutError:
        raise ServiceUnavailable(
            f"Temporal server {ep.address} did not answer within {ep.connect_timeout:g}s"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the SDK raises RuntimeError for refused/unresolvable
        raise ServiceUnavailable(f"Temporal server {ep.address} unavailable: {one_line(exc, 300)}") from None


def failed_on_workers(what: str, exc: BaseException) -> ServiceUnavailable:
    """A workflow that failed (its activities' last errors, innermost last) as one line, exit 3."""
    parts: list[str] = []
    cause: BaseException | None = exc
    while cause is not None and len(parts) < 6:
        text = one_line(getattr(cause, "message", "") or str(cause), 300)
        if text and text not in parts:
            parts.append(text)
        cause = getattr(cause, "cause", None) or cause.__cause__
    return ServiceUnavailable(f"{what} failed on the Temporal workers: " + ": ".join(parts))
