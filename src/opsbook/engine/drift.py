"""Friday's drift review (docs/drift.md): which drift checks a `drift detect` runs, and the drift report
built from the run history.

- `detect_request(cfg, kinds, stacks, components)`: the check ids of the kinds (core/drift.py KINDS; a kind
  whose check is not registered is an InputError) and `cfg` with `stacks`/`components` set on every
  selected check (as upgrade_check sets `target_version`). No kinds named: every kind whose check the
  config enables (an opt-in one only when turned on), and with stacks/components only the kinds that
  narrow to them; naming a kind that cannot narrow (unmanaged: resources no stack holds) with them is an
  InputError.
- `build_report(store)`: the latest run that ran drift checks, compared with the previous one started on
  an earlier day (last Friday's, normally; a second run on the same day does not reset the comparison),
  grouped by stack and component: each failing drift finding `new` or `still drifting`, `resolved` ones
  (failing before, and their stack/component planned clean now), ignored ones and errors apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.core.checks import CHECKS
from opsbook.core.config import Config
from opsbook.core.drift import KINDS
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Status
from opsbook.engine.runner import prepare_checks
from opsbook.engine.selection import load_builtin
from opsbook.store import runs
from opsbook.store.db import Store

DRIFT_PREFIX = "drift."


def narrows(cid: str) -> bool:
    """Does the drift check narrow to stacks and components (has the InstanceSelection settings)?"""
    return "stacks" in CHECKS.get(cid).settings.model_fields


def default_kinds(cfg: Config, narrowed: bool) -> list[str]:
    """The kinds `drift detect` runs when none is named: those whose check is registered and enabled in
    `cfg` (an opt-in check only when turned on: naming its id would opt in), narrowing ones only when
    `narrowed`."""
    registered = [CHECKS.get(cid) for cid in KINDS.values() if cid in CHECKS]
    enabled = {p.spec.id for p in prepare_checks(cfg, registered)}
    return [k for k, cid in KINDS.items() if cid in enabled and (narrows(cid) or not narrowed)]


def detect_request(
    cfg: Config, kinds: list[str] | None, stacks: list[str], components: list[str]
) -> tuple[Config, list[str]]:
    load_builtin()
    ids = []
    for kind in default_kinds(cfg, bool(stacks or components)) if kinds is None else kinds:
        if kind not in KINDS:
            raise InputError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
        if KINDS[kind] not in CHECKS:
            raise InputError(
                f"--kind {kind}: its check {KINDS[kind]} is not part of this opsbook (see `opsbook checks list`)"
            )
        if (stacks or components) and not narrows(KINDS[kind]):
            raise InputError(
                f"--kind {kind}: {KINDS[kind]} lists resources no stack holds, so --stack/--component "
                "cannot narrow it; run it without them"
            )
        ids.append(KINDS[kind])
    if not ids:  # an empty selection would run every check
        raise InputError(
            "no drift check is enabled in the config: name one with --kind (plan, live, unmanaged)"
        )
    check_instances(cfg, stacks, components)
    checks = dict(cfg.checks)
    given = {k: v for k, v in (("stacks", stacks), ("components", components)) if v}
    for cid in ids:
        if given:
            checks[cid] = {**(checks.get(cid) or {}), **given}
    return cfg.model_copy(update={"checks": checks}), ids


def check_instances(cfg: Config, stacks: list[str], components: list[str]) -> None:
    """An unknown stack or component is bad input (exit 2, naming it), not a failed check or an ignore
    that never matches."""
    if stacks or components:
        from opsbook.providers.atmos.resolver import Stacks
        from opsbook.providers.terraform.drift import instances

        instances(Stacks.load(cfg.stacks.atmos_config if cfg.stacks else None), stacks, components)


NO_STACK = "(no stack)"


def _instance(f: dict[str, Any]) -> tuple[str, str]:
    """(stack, component) of a drift finding; one no stack holds (drift.unmanaged, an unreadable state
    object) is grouped by its account, so an account not checked now resolves nothing."""
    d = f.get("details") or {}
    if d.get("stack"):
        return str(d["stack"]), str(d.get("component") or "?")
    target = f.get("target") or {}
    return NO_STACK, str(target.get("account") or target.get("key") or "?")


def _entry(f: dict[str, Any], state: str) -> dict[str, Any]:
    d = f.get("details") or {}
    return {
        "state": state,
        "check_id": f["check_id"],
        "uid": f["uid"],
        "address": d.get("address") or (f.get("resource") or {}).get("id"),
        "action": d.get("action"),
        "attributes": d.get("attributes") or {},
        "file": d.get("file"),
        "message": f["message"],
        **({"ignored": d["ignored"]} if d.get("ignored") else {}),
    }


def _drift_runs(store: Store) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The latest drift run and the latest one started on an earlier day (None when there is none)."""
    found = runs.runs_with_checks(store, prefix=DRIFT_PREFIX, limit=200)
    if not found:
        raise NotFound("no run with drift checks in the history yet; run `opsbook drift detect` first")
    day = found[0][1][:10]
    earlier = next((run_id for run_id, started in found[1:] if started[:10] < day), None)
    current = runs.get_run(store, run_id=found[0][0])
    return current, runs.get_run(store, run_id=earlier) if earlier else None


def build_report(store: Store, now: datetime | None = None) -> dict[str, Any]:
    current, previous = _drift_runs(store)
    now_f = [f for f in current["findings"] if f["check_id"].startswith(DRIFT_PREFIX)]
    before = [
        f for f in (previous or {}).get("findings", [])
        if f["check_id"].startswith(DRIFT_PREFIX) and f["status"] == Status.FAIL.value
    ]  # fmt: skip
    before_uids = {f["uid"] for f in before}
    failing = {f["uid"] for f in now_f if f["status"] == Status.FAIL.value}
    checked = {_instance(f) for f in now_f if f["status"] in (Status.PASS.value, Status.FAIL.value)}
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(f: dict[str, Any], state: str) -> None:
        stack, component = _instance(f)
        groups.setdefault(stack, {}).setdefault(component, []).append(_entry(f, state))

    counts = {"new": 0, "still_drifting": 0, "resolved": 0, "ignored": 0, "errors": 0}
    for f in now_f:
        status = f["status"]
        if status == Status.FAIL.value:
            state = "still_drifting" if f["uid"] in before_uids else "new"
        elif status == Status.SKIPPED.value and (f.get("details") or {}).get("ignored"):
            state = "ignored"
        elif status == Status.ERROR.value:
            state = "errors"
        else:
            continue
        counts[state] += 1
        add(f, state)
    for f in before:
        if f["uid"] not in failing and _instance(f) in checked:
            counts["resolved"] += 1
            add(f, "resolved")
    return {
        "kind": "opsbook.drift_report",
        "version": 1,
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "run_id": current["run_id"],
        "run_started_at": current["started_at"],
        "previous_run_id": previous["run_id"] if previous else None,
        "previous_run_started_at": previous["started_at"] if previous else None,
        "counts": counts,
        "stacks": {s: dict(sorted(c.items())) for s, c in sorted(groups.items())},
    }


STATES = (("new", "New"), ("still_drifting", "Still drifting"), ("resolved", "Resolved"),
          ("errors", "Could not check"), ("ignored", "Ignored"))  # fmt: skip
