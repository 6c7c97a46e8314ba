"""The diagnostics bundle `opsbook diagnose` fills: items (one JSON file and one readable text file each),
the sources that failed (noted, never fatal), headline problems and recent changes; and how it is written
(`write`: the item files, summary.json and summary.md). Thread-safe: targets are collected concurrently."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from opsbook.core.errors import one_line

T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Item:
    target: str
    name: str  # file stem within the target, e.g. "top-nodes", "describe-pod.production.payments-x"
    title: str
    data: Any
    text: str

    @property
    def stem(self) -> str:
        return slug(f"{self.target}.{self.name}")


@dataclass
class Bundle:
    progress: Progress = lambda _: None
    items: list[Item] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    headlines: list[dict[str, str]] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, target: str, name: str, title: str, data: Any, text: str) -> None:
        with self._lock:
            self.items.append(Item(target, name, title, data, text))
        self.progress(f"{target}: {title}")

    def headline(self, target: str, text: str) -> None:
        with self._lock:
            self.headlines.append({"target": target, "problem": text})

    def change(self, target: str, text: str) -> None:
        with self._lock:
            self.changes.append({"target": target, "change": text})

    def attempt(self, target: str, what: str, fn: Callable[[], T]) -> T | None:
        """`fn()`, or None with the failure noted (as opsbook's one-line error for the target)."""
        from opsbook.engine.failures import as_target_error

        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - a failed source is noted, never aborts the bundle
            error = one_line(as_target_error(exc, where=target, action=what), 500)
            with self._lock:
                self.failed.append({"target": target, "source": what, "error": error})
            self.progress(f"{target}: {what} FAILED: {error}")
            return None


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as a plain fixed-width text table (None shown as <none>)."""
    cells = [[c.upper() for c in columns]]
    cells += [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, datetime):
        return stamp(value)
    return one_line(value, 200)


def check_out_dir(out_dir: Path) -> None:
    """The bundle goes into a new or empty directory (never over an earlier bundle)."""
    from opsbook.core.errors import InputError

    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(f"-o {out_dir}: exists and is not an empty directory (a bundle needs its own)")


def write(bundle: Bundle, out_dir: Path, summary: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    listed = []
    for item in sorted(bundle.items, key=lambda i: (i.target, i.name)):
        (out_dir / f"{item.stem}.json").write_text(json.dumps(item.data, indent=2, default=str) + "\n")
        (out_dir / f"{item.stem}.txt").write_text(f"# {item.title} ({item.target})\n\n{item.text}\n")
        listed.append({"target": item.target, "item": item.name, "title": item.title,
                       "files": [f"{item.stem}.json", f"{item.stem}.txt"]})  # fmt: skip
    summary = {**summary, "collected": listed, "failed": bundle.failed, "headlines": bundle.headlines,
               "changes": bundle.changes}  # fmt: skip
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    (out_dir / "summary.md").write_text(markdown(summary))


def markdown(summary: dict[str, Any]) -> str:
    lines = [f"# Diagnostics {summary['started_at']}", "",
             f"Scope: {summary['scope']}; since {summary['since']}.", "", "## Headline problems", ""]  # fmt: skip
    lines += [f"- {h['target']}: {h['problem']}" for h in summary["headlines"]] or ["- none found"]
    lines += ["", "## Recent changes", ""]
    lines += [f"- {c['target']}: {c['change']}" for c in summary["changes"]] or ["- none found"]
    lines += ["", "## Not collected", ""]
    lines += [f"- {f['target']}: {f['source']}: {f['error']}" for f in summary["failed"]] or [
        "- nothing failed"
    ]
    lines += ["", "## Collected", ""]
    lines += [f"- {c['target']}: {c['title']} (`{c['files'][1]}`)" for c in summary["collected"]]
    return "\n".join(lines) + "\n"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
