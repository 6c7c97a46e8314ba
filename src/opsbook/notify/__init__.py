"""Notifications: route `opsbook.core.events.Event`s to configured channels (apprise URLs, SNS topics).

Producers call `publish(cfg, event, store=store)`; nothing else in opsbook sends messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsbook.core.events import Event

if TYPE_CHECKING:
    from opsbook.core.config import Config
    from opsbook.store.db import Store


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    deduplicated: bool = False  # not sent: the same dedupe key was sent before and is still open
    error: str | None = None  # one line, no secret


def publish(cfg: Config, event: Event, *, store: Store | None = None) -> list[Delivery]:
    """Send `event` to every channel its routes select and return what happened per channel. Never raises
    for a channel's failure (a notification must not fail the run or procedure that produced it).

    Seam only until the notifications layer lands (issue 17): no channels exist yet, so nothing is sent.
    """
    return []
