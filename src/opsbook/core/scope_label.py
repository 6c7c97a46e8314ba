"""The label a run is stored under (its `scope` in history, metrics and the web app), and what it covers.

A whole scope is its name: `daily`, `weekly:monday`, `daily+weekly:monday` for `run due` on a Monday (a run
of each part too), `check:ID` for named checks. A run narrowed to some targets (`--account`, `--region`,
`--cluster`) says so: `daily[account=dev]`, `daily[account=dev,prod;region=us-east-1]`. It is compared with
earlier runs narrowed the same way, and its success is never the whole scope's (`last_success{scope=daily}`
stays with the last run of all of daily). A narrowed label longer than MAX names its narrowing by a hash:
`daily[narrowed #1a2b3c4d5e]`. Any label longer than the store keeps (STORED: many named checks) keeps its
start and names the rest by a hash of the whole (`bounded`), so the same run is always stored the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX = 80  # a longer narrowing is hashed (the store's width until migration 0010; labels stay as they were)
STORED = 1000  # store.models.RunRow.scope and ScheduleFireRow.scope are String(STORED) (migration 0010)
FILTERS = ("account", "region", "cluster")
_SPECIAL = set("[];,=+#")
_CUT = re.compile(r"\.\.\. #[0-9a-f]{10}$")


def narrowed(
    base: str, *, accounts: Iterable[str] = (), regions: Iterable[str] = (), clusters: Iterable[str] = ()
) -> str:
    """`base` (the scopes' label) with the targets it was narrowed to; `base` alone when it was not."""
    chosen = [
        (name, sorted(set(values)))
        for name, values in zip(FILTERS, (accounts, regions, clusters), strict=True)
    ]
    said = ";".join(f"{name}={','.join(values)}" for name, values in chosen if values)
    if not said:
        return base
    label = f"{base}[{said}]"
    if len(label) > MAX or any(ch in _SPECIAL for _, values in chosen for v in values for ch in v):
        label = f"{base}[narrowed #{hashlib.sha256(said.encode()).hexdigest()[:10]}]"
    return label


def bounded(label: str) -> str:
    """`label` as the store keeps it: at most STORED characters; a longer one is its start and `... #` and a
    hash of the whole (stable: the same label is always cut the same way; two that differ stay apart)."""
    if len(label) <= STORED:
        return label
    digest = hashlib.sha256(label.encode()).hexdigest()[:10]
    return f"{label[: STORED - 15]}... #{digest}"


def covered(label: str) -> list[str]:
    """The scopes a run with this label ran: the label and, for a combined one, each part, narrowed as the
    label is (`daily+weekly:monday[account=dev]` covers `daily[account=dev]` too, never `daily`); a cut label
    (`bounded`) only itself."""
    if _CUT.search(label):
        return [label]
    base, bracket, rest = label.partition("[")
    parts = base.split("+")
    return [label, *(part + bracket + rest for part in parts)] if len(parts) > 1 else [label]
