"""`opsbook worker`: run opsbook's collection and procedure steps as Temporal activities (docs/temporal.md)."""

from __future__ import annotations

import asyncio

import typer

from opsbook.cli.common import STATE


def worker(
    temporal: str = typer.Option(
        None, "--temporal", help="The Temporal server, HOST:PORT (default: temporal.address in opsbook.yaml)."
    ),
    task_queue: str = typer.Option(
        None, "--task-queue", help="The task queue to poll (default: temporal.task_queue, else 'opsbook')."
    ),
    concurrency: int = typer.Option(
        16, "--concurrency", min=1, max=256, help="Activities (targets, procedure steps) run at once."
    ),
) -> None:
    """Poll a Temporal task queue and run what `opsbook run ... --on temporal` and
    `opsbook apply ... --on temporal` hand it, until Ctrl-C or SIGTERM.

    Start as many workers as you like, on as many machines: each target of a run is one activity, retried on
    another worker when one dies (it stops heartbeating). Workers write findings, journals and audit records
    to the store named by the run (storage.url); with --config, this worker's own storage.url is used
    instead (that is where a database password belongs, never in workflow history).

    Example: `opsbook worker --temporal 127.0.0.1:7233 --task-queue opsbook`.
    Needs the 'temporal' extra (pip install: see docs/temporal.md). Exit 3 when the server cannot be reached.
    """
    from opsbook.engine.selection import load_checked_config
    from opsbook.temporal.connect import endpoint, require_extra

    require_extra()
    cfg = load_checked_config(STATE.config_path, required=False)
    ep = endpoint(cfg, temporal, task_queue)
    from opsbook.temporal.worker import serve

    asyncio.run(serve(ep, concurrency=concurrency, store_url=cfg.storage.url if STATE.config_path else None))


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
