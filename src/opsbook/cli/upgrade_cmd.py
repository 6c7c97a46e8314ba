"""`opsbook upgrade check`: the EKS upgrade pre-flight (engine/upgrade_check.py), as a table or JSON."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from opsbook.cli.common import TableJson, console, emit_json, known_regions, output_option
from opsbook.cli.output import is_stdout, open_output
from opsbook.core.models import Finding, Severity, Status, Target

upgrade_app = typer.Typer(help="Upgrades: the EKS pre-flight (`upgrade check`).", no_args_is_help=True)

CHECK_HELP = """Pre-flight for upgrading an EKS cluster one minor version (the guide's "Upgrade EKS Cluster"; `kubectl version --short` is gone since kubectl 1.28: this reads the versions for you). Read-only. It checks, on the live cluster and its account:

- the target is exactly one minor above the control plane, which is ACTIVE (upgrade.version_step);

- every managed node group matches the control plane (EKS refuses the update otherwise), and no node group or kubelet falls outside the version skew policy of the target: a kubelet may be three minors behind the API server (two before 1.25), never ahead (upgrade.nodegroup_skew, upgrade.kubelet_skew);

- objects last applied with an API version the target removed, and clients the API server saw requesting deprecated APIs (its apiserver_requested_deprecated_apis metric): removed by the target blocks, deprecated only warns (upgrade.removed_api_objects, upgrade.deprecated_api_requests);

- PodDisruptionBudgets that allow no disruption while they cover pods: every drain would stall there (upgrade.pdb_blocks_drain);

- node groups ACTIVE and healthy, with room for each one's surge in the vCPU quota and its subnets (upgrade.nodegroup_health, upgrade.surge_capacity);

- EKS add-ons offered for the target; kube-proxy moves after the control plane (upgrade.addon_compat);

- the kubernetes_version the Atmos stack sets is the live one (upgrade.stack_version).

A blocker is a failing finding at --fail-on (default high) or above, a warning one below it; `opsbook checks show upgrade.<name>` documents each check.

Examples: `opsbook upgrade check --cluster my-cluster --to 1.33`; `opsbook upgrade check --cluster my-cluster --account dev --region us-east-1 -f json`; `opsbook upgrade check --sandbox --cluster my-cluster`.

Exit codes: 0 ready (warnings allowed), 1 blockers, 2 bad input (an unknown cluster, a target that is not MAJOR.MINOR), 3 something could not be read (the cluster or account unreachable, a permission missing)."""


def one_region(value: str | None) -> str | None:
    return known_regions([value])[0] if value else value


@upgrade_app.command("check", help=CHECK_HELP)
def check(
    cluster: str = typer.Option(
        ..., "--cluster", help="The cluster: a configured one, or an EKS name with --account."
    ),
    to: str = typer.Option(
        None, "--to", help="Target Kubernetes minor version, e.g. 1.33 (default: the next)."
    ),
    account: str = typer.Option(
        None, "--account", help="The EKS cluster's account when it is not under `clusters:`."
    ),
    region: str = typer.Option(None, "--region", help="Its region (with --account).", callback=one_region),
    fail_on: Severity = typer.Option(
        Severity.HIGH, "--fail-on", help="Failing findings at/above this are blockers."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
    output: Path = output_option("Write the result here instead of stdout (- for stdout)."),
    show_passing: bool = typer.Option(
        False, "--show-passing", help="List what passed and what was skipped too (table)."
    ),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
) -> None:
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine.upgrade_check import check_upgrade, target_version

    if to is not None:
        target_version(to)  # a bad target fails before any sandbox or target is started
    err = console(stderr=True)
    with config_for(sandbox) as cfg:
        status = err.status("reading the cluster...") if err.is_terminal else contextlib.nullcontext()
        with status:
            findings = check_upgrade(cfg, cluster, to, account=account, region=region)
    doc = summary(cluster, findings, fail_on)
    if fmt is TableJson.json:
        emit_json(doc, output)
    elif is_stdout(output):
        render(console(), doc, show_passing)
    else:
        with open_output(output) as fh:
            render(Console(file=fh, no_color=True, width=160), doc, show_passing)
    raise typer.Exit(doc["exit_code"])


def summary(cluster: str, findings: list[Finding], fail_on: Severity) -> dict[str, Any]:
    failing = [f for f in findings if f.status is Status.FAIL]
    blockers = [f for f in failing if f.severity >= fail_on]
    step = next(
        (f for f in findings if f.check_id == "upgrade.version_step" and f.details.get("target")), None
    )
    counts = {"blockers": len(blockers), "warnings": len(failing) - len(blockers),
              "unreadable": sum(f.status is Status.ERROR for f in findings),
              "passed": sum(f.status is Status.PASS for f in findings),
              "skipped": sum(f.status is Status.SKIPPED for f in findings)}  # fmt: skip
    code = 3 if counts["unreadable"] else 1 if blockers else 0
    return {
        "cluster": cluster,
        "from_version": step.details.get("current") if step else None,
        "to_version": step.details.get("target") if step else None,
        "fail_on": fail_on.value,
        "ready": code == 0,
        "exit_code": code,
        "counts": counts,
        "findings": [f.model_dump(mode="json") for f in sorted(findings, key=_order(fail_on))],
    }


def _order(fail_on: Severity) -> Any:
    def key(f: Finding) -> tuple[int, int, str, str]:
        if f.status is Status.FAIL:  # blockers, unreadable, warnings, the rest (as GROUPS)
            rank = 0 if f.severity >= fail_on else 2
        else:
            rank = 1 if f.status is Status.ERROR else 3
        return rank, -f.severity.rank, f.check_id, f.resource.id if f.resource else ""

    return key


GROUPS = (
    ("blockers", "bold red"),
    ("unreadable", "red"),
    ("warnings", "yellow"),
    ("passed", "green"),
    ("skipped", "dim"),
)


def render(out: Console, doc: dict[str, Any], show_passing: bool) -> None:
    fail_on = Severity(doc["fail_on"])
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in GROUPS}
    for f in doc["findings"]:
        if f["status"] == "error":
            grouped["unreadable"].append(f)
        elif f["status"] == "fail":
            grouped["blockers" if Severity(f["severity"]) >= fail_on else "warnings"].append(f)
        elif show_passing:
            grouped["passed" if f["status"] == "pass" else "skipped"].append(f)
    for name, style in GROUPS:
        if not grouped[name]:
            continue
        table = Table(title=f"{name.upper()} ({len(grouped[name])})", title_style=style, expand=True)
        table.add_column("check", overflow="fold", ratio=1)
        table.add_column("resource", overflow="fold", ratio=1)
        table.add_column("finding", overflow="fold", ratio=3, min_width=30)
        for f in grouped[name]:
            res = (f["resource"] or {}).get("id") or Target.model_validate(f["target"]).key
            table.add_row(f["check_id"], res, f["message"])
        out.print(table)
    c, step = doc["counts"], f"{doc['from_version'] or '?'} -> {doc['to_version'] or '?'}"
    out.print(f"{escape(doc['cluster'])} {step}: {c['blockers']} blockers, {c['warnings']} warnings, "
              f"{c['unreadable']} unreadable, {c['passed']} passed, {c['skipped']} skipped", soft_wrap=True)  # fmt: skip
    if doc["exit_code"] == 3:
        out.print(
            "[red]INCOMPLETE[/] some of the cluster could not be read: see UNREADABLE, then check again"
        )
    elif doc["exit_code"] == 1:
        out.print("[red]NOT READY[/] fix the blockers, then check again (`opsbook checks show <check>`)")
    else:
        out.print(
            f"[green]READY[/] for {doc['to_version'] or 'the next minor'}"
            + (" (see the warnings)" if c["warnings"] else "")
        )


def register(app: typer.Typer) -> None:
    app.add_typer(upgrade_app, name="upgrade")
