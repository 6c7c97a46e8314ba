"""`opsbook backup export-cluster`: the guide's `kubectl get all --all-namespaces -o yaml > cluster-backup.yaml`,
but every kind the API serves, one re-appliable YAML per kind (read-only; engine/cluster_export.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.common import TableJson, console, emit_json

backup_app = typer.Typer(
    help="Read-only backups: export a cluster's resources as YAML.", no_args_is_help=True
)


@backup_app.command("export-cluster")
def export_cluster(
    cluster: str = typer.Option(..., "--cluster", help="The configured cluster to export."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Directory to write (must not exist or be empty)."
    ),
    include_secrets: bool = typer.Option(
        False, "--include-secrets", help="Write Secret values (default: keys only, values redacted)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty output directory."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json (the summary)."),
) -> None:
    """Every namespaced and cluster-scoped kind the cluster serves (ConfigMaps, Secrets, PVCs, RBAC, CRDs and
    custom resources too), runtime fields stripped, written atomically with index.json and README.md."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import cluster_export

    err = console(stderr=True)
    with config_for(sandbox) as cfg:
        result = cluster_export.export_cluster(
            cfg, cluster, output, include_secrets=include_secrets, force=force,
            progress=lambda line: err.print(line, markup=False, highlight=False, soft_wrap=True),
        )  # fmt: skip
    summary = result.summary()
    if fmt is TableJson.json:
        emit_json(summary | {"kinds": result.kinds})
        return
    secrets = "with Secret values" if include_secrets else "Secret values redacted"
    console().print(
        f"exported {summary['objects']} objects of {summary['kinds']} kinds ({summary['files']} files) from "
        f"{cluster} to {output} ({secrets}); see {output / 'index.json'}",
        markup=False, soft_wrap=True,
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name="backup")
