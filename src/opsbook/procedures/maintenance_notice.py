"""The last step of a maintenance plan: the "done" notice (MAINTENANCE_DONE) and the window marked done, so
its targets' findings are no longer expected. Sent once: the store claims it (`done_sent_at`) before it is
published, so a re-run or a resumed apply never sends it twice. Undo (`--rollback`): the window is reopened
(not done, its findings expected again while it lasts); the message already sent cannot be unsent.

Kind `maintenance-done`, params `window` (the window's id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.core.events import Event, EventKind
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.store.maintenance import Window


def selectors(window: Window) -> list[tuple[str, str]]:
    return [(k, v) for k, _, v in (t.partition("=") for t in window.targets)]


def target_keys(window: Window) -> tuple[str, ...]:
    return tuple(f"k8s:{v}" if k == "cluster" else f"atmos:{v}" if k == "stack" else f"{k}:{v}"
                 for k, v in selectors(window))  # fmt: skip


def when_text(window: Window) -> str:
    start = window.starts_at.astimezone(UTC)
    return f"{start:%Y-%m-%d} at {start:%H:%M} UTC for {_length(window)}"


def _length(window: Window) -> str:
    minutes = int((window.ends_at - window.starts_at).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"


def maintenance_event(kind: EventKind, window: Window, title: str) -> Event:
    body = f"{window.title}\nwhen: {when_text(window)}\ntargets: {', '.join(window.targets)}"
    return Event(kind=kind, title=title, body=body, targets=target_keys(window), ref=f"maintenance:{window.id}",
                 dedupe_key=f"maintenance:{window.id}:{kind.value}",
                 details={"window": window.id, "channels": list(window.channels), "targets": list(window.targets),
                          "starts_at": window.starts_at.isoformat(), "ends_at": window.ends_at.isoformat()})  # fmt: skip


def recheck(item: PlanItem, clients: Clients) -> Live:
    from opsbook.store import maintenance as store_mw
    from opsbook.store.db import open_store

    store = open_store(clients("config").storage.url)
    try:
        window = store_mw.get_window(store, window_id=int(item.params["window"]))
    finally:
        store.close()
    if window.done_sent_at is not None:
        return Live(
            "done", f"done notice of window {window.id} sent at {window.done_sent_at:%Y-%m-%d %H:%M} UTC"
        )
    return Live("eligible", f"send the done notice of window {window.id} ({window.title})")


def send_done(item: PlanItem, clients: Clients) -> dict[str, Any]:
    from opsbook import notify
    from opsbook.store import maintenance as store_mw
    from opsbook.store.db import open_store

    cfg = clients("config")
    store = open_store(cfg.storage.url)
    try:
        window_id = int(item.params["window"])
        if not store_mw.claim_send(store, window_id=window_id, what="done", at=datetime.now(UTC)):
            return {"sent": False, "note": "sent before"}
        store_mw.set_status(store, window_id=window_id, status="done", only_from=("scheduled", "active"))
        window = store_mw.get_window(store, window_id=window_id)
        event = maintenance_event(EventKind.MAINTENANCE_DONE, window, f"Maintenance done: {window.title}")
        deliveries = notify.publish(cfg, event, store=store)
    finally:
        store.close()
    return {"sent": True, "channels": [d.channel for d in deliveries if d.ok]}


def reopen(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """Undo: the window is not done any more (scheduled or active again, by the clock: a run moves an ended
    one to done), so applying the plan again sends a done notice again. The one sent stays sent."""
    from opsbook.store import maintenance as store_mw
    from opsbook.store.db import open_store

    store = open_store(clients("config").storage.url)
    try:
        window = store_mw.get_window(store, window_id=int(item.params["window"]))
        store_mw.claim_send(store, window_id=window.id, what="done", at=None)
        status = "active" if window.starts_at <= datetime.now(UTC) else "scheduled"
        reopened = store_mw.set_status(store, window_id=window.id, status=status, only_from=("done",))
    finally:
        store.close()
    return {"window": window.id, "status": status if reopened else window.status,
            "note": "the done notice that was sent stays sent"}  # fmt: skip


item_kind(
    "maintenance-done",
    action="maintenance-done",
    permissions=("write the opsbook store; send through the configured notification channels",),
    recheck=recheck,
    act=send_done,
    undo=reopen,
)
