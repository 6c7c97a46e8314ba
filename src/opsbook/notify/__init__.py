"""Notifications: route `opsbook.core.events.Event`s to configured channels (apprise URLs, SNS topics).

Producers call `publish(cfg, event, store=store)`; nothing else in opsbook sends messages. With a store,
every send is logged (store/notifications.py) and an event whose `dedupe_key` is still open on a channel
is not sent there again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from opsbook.core.errors import ConfigError, one_line
from opsbook.core.events import Event, EventKind

if TYPE_CHECKING:
    from opsbook.core.config import Config
    from opsbook.store.db import Store

log = logging.getLogger("opsbook.notify")


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    deduplicated: bool = False  # not sent: the same dedupe key was sent before and is still open
    error: str | None = None  # one line, no secret


def channels_for(cfg: Config, event: Event) -> list[str]:
    """The channels the routes pick for `event`, each once, in route order, then the channels the event names
    itself (`maintenance schedule --notify CHANNEL` puts them in `details["channels"]`)."""
    picked: list[str] = []
    for route in cfg.notifications.routes:
        if route.selects(event.kind.value, event.severity, resolving=resolves(event)):
            picked += [c for c in route.channels if c not in picked]
    named = event.details.get("channels") or []
    picked += [c for c in named if c in cfg.notifications.channels and c not in picked]
    return picked


def resolves(event: Event) -> bool:
    """The event closes its dedupe key (the problem it was about is over)."""
    return event.kind is EventKind.INCIDENT_RESOLVED or event.details.get("resolved") is True


def publish(cfg: Config, event: Event, *, store: Store | None = None) -> list[Delivery]:
    """Send `event` to every channel its routes select and return what happened per channel. Never raises
    for a channel's failure (a notification must not fail the run or procedure that produced it)."""
    return [send_to(cfg, name, event, store=store) for name in channels_for(cfg, event)]


def send_to(cfg: Config, name: str, event: Event, *, store: Store | None = None) -> Delivery:
    """Send `event` to the channel `name` (routes aside: `notify test`), de-duplicated and logged."""
    from opsbook.notify.send import SendFailed, send

    channel = cfg.notifications.channels[name]
    closing = resolves(event)
    if event.dedupe_key and store is not None and _still_open(store, event, name, closing):
        delivery = Delivery(name, ok=True, deduplicated=True)
    else:
        try:
            send(cfg, name, channel, event)
            delivery = Delivery(name, ok=True)
        except (SendFailed, ConfigError) as exc:
            delivery = Delivery(name, ok=False, error=one_line(exc) or "failed")
        except Exception as exc:  # noqa: BLE001 - never let a sender's bug fail the producer
            delivery = Delivery(name, ok=False, error=f"{type(exc).__name__} while sending")
    if not delivery.ok:
        log.warning("notification %s to channel %s failed: %s", event.kind.value, name, delivery.error)
    if store is not None:
        _log(store, event, delivery, closing)
    return delivery


def _still_open(store: Store, event: Event, channel: str, closing: bool) -> bool:
    from opsbook.store import notifications

    assert event.dedupe_key is not None
    try:
        return notifications.is_open(store, dedupe_key=event.dedupe_key, channel=channel, resolves=closing,
                                     group=event.dedupe_group)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a store failure sends rather than stays silent
        log.warning("notifications log unreadable, sending without de-duplication: %s", one_line(exc))
        return False


def _log(store: Store, event: Event, delivery: Delivery, closing: bool) -> None:
    from opsbook.store import notifications

    entry = notifications.SentNotification(
        kind=event.kind.value,
        ref=event.ref,
        dedupe_key=event.dedupe_key,
        resolves=closing,
        channel=delivery.channel,
        severity=event.severity.value,
        ok=delivery.ok,
        deduplicated=delivery.deduplicated,
        error=delivery.error,
        sent_at=datetime.now(UTC),
        title=event.title,
        targets=event.targets,
    )
    try:
        notifications.record(store, entry)
    except Exception as exc:  # noqa: BLE001 - the message went out; only its log entry is lost
        log.warning("notification to %s not logged: %s", delivery.channel, one_line(exc))
