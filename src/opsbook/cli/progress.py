"""A progress bar per run on stderr while targets are collected (TTY only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from opsbook.cli.common import console
from opsbook.core.models import Target


class ProgressObserver:
    def __init__(self) -> None:
        err = console(stderr=True)
        self.enabled = err.is_terminal
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task: Any = None

    def __enter__(self) -> ProgressObserver:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def started(self, run_id: str, targets: Sequence[Target]) -> None:
        if self.enabled:
            self.task = self.progress.add_task(f"run {run_id}", total=len(targets), last="")

    def target_done(self, outcome: Any) -> None:
        if self.enabled and self.task is not None:
            mark = "failed" if outcome.error else f"{len(outcome.findings)} findings"
            self.progress.update(self.task, advance=1, last=f"{outcome.target.key}: {mark}")
