"""`opsbook k8s top nodes|pods` and `opsbook k8s unhealthy`: the guide's quick kubectl views, for every
configured cluster (or `--cluster`), from the same collectors as `opsbook run daily`; `opsbook k8s nettest`:
the guide's network test pod (engine/nettest.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

from opsbook.cli.common import TableJson, console, emit_json
from opsbook.core.errors import InputError

k8s_app = typer.Typer(
    help="Quick Kubernetes views: top nodes|pods, unhealthy objects; the network test pod.",
    no_args_is_help=True,
)


class What(StrEnum):
    nodes = "nodes"
    pods = "pods"


class SortBy(StrEnum):
    cpu = "cpu"
    memory = "memory"


def _table(title: str, rows: list[dict[str, Any]], columns: list[str], missing: str = "") -> None:
    from rich.table import Table

    t = Table(title=title)
    for col in columns:
        t.add_column(
            col.upper().replace("_", " "),
            justify="right" if col.endswith(("_m", "_mib", "percent")) else "left",
        )
    for r in rows:
        t.add_row(*(missing if r.get(col) is None else str(r.get(col)) for col in columns))
    console().print(t)


@k8s_app.command("top")
def top(
    what: What = typer.Argument(..., help="nodes | pods"),
    sort_by: SortBy = typer.Option(None, "--sort-by", help="cpu | memory (default: nodes cpu, pods memory)."),
    cluster: list[str] = typer.Option([], "--cluster", help="Only this cluster (repeatable)."),
    namespace: str = typer.Option(None, "--namespace", "-n", help="pods: only this namespace."),
    limit: int = typer.Option(None, "--limit", min=1, help="pods: only the first N."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Current CPU and memory use, like `kubectl top nodes` / `kubectl top pods -A --sort-by=memory`."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import k8s_views

    if what is What.nodes and (namespace or limit):
        raise InputError("--namespace and --limit go with `opsbook k8s top pods`")
    with config_for(sandbox) as cfg:
        if what is What.nodes:
            rows = k8s_views.top_nodes(cfg, cluster, (sort_by or SortBy.cpu).value)  # type: ignore[arg-type]
            columns = ["cluster", "node", "cpu_m", "cpu_percent", "memory_mib", "memory_percent"]
        else:
            rows = k8s_views.top_pods(cfg, cluster, (sort_by or SortBy.memory).value, namespace, limit)  # type: ignore[arg-type]
            columns = ["cluster", "namespace", "pod", "cpu_m", "memory_mib"]
    if fmt is TableJson.json:
        emit_json(rows)
    else:
        _table(f"top {what.value}", rows, columns, "<unknown>")  # a node without metrics, as kubectl shows it


@k8s_app.command("unhealthy")
def unhealthy(
    cluster: list[str] = typer.Option([], "--cluster", help="Only this cluster (repeatable)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Nodes not Ready / under pressure / cordoned, pods not Running or Succeeded or restarting too often,
    deployments with unavailable replicas (`kubectl get nodes`, `kubectl get pods -A | grep -v Running`). Exit 1 if any."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import k8s_views

    with config_for(sandbox) as cfg:
        rows = k8s_views.unhealthy(cfg, cluster)
    if fmt is TableJson.json:
        emit_json(rows)
    elif rows:
        columns = ["cluster", "kind", "namespace", "name", "status", "ready", "detail"]
        _table(f"{len(rows)} unhealthy", rows, columns)
    else:
        console().print("[green]OK[/] every node, pod and deployment is healthy")
    raise typer.Exit(1 if rows else 0)


def _seconds(text: str, flag: str) -> float:
    """A duration (`90s`, `2m`), a bare number in seconds: parse_duration's checks, bounds included."""
    from opsbook.engine.cleanup import parse_duration

    return parse_duration(text, flag, bare="s").total_seconds()


@k8s_app.command("nettest")
def nettest(
    target: str = typer.Argument(..., help="A hostname (api.example.com, my-svc.my-ns) or an http(s) URL."),
    cluster: str = typer.Option(..., "--cluster", help="The configured cluster to test from."),
    namespace: str = typer.Option(..., "--namespace", "-n", help="The namespace the test pod runs in."),
    image: str = typer.Option(
        "nicolaka/netshoot", "--image", help="The image with curl, nslookup, traceroute."
    ),
    port: int = typer.Option(None, "--port", help="curl this port (http), instead of https on 443."),
    timeout: str = typer.Option("60s", "--timeout", help="How long the pod may take (e.g. 60s, 2m)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """The guide's network test pod: run `curl -v`, `nslookup` and `traceroute` to TARGET from a short-lived
    pod (restartPolicy Never, deadline = --timeout) in the namespace, report each probe's output and exit
    code, and always delete the pod. Exit 0 every probe passed, 1 one failed, 2 bad input, 3 cluster
    unreachable or the pod did not finish in time."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import nettest as nt

    err = console(stderr=True)
    request = nt.NettestRequest(cluster, namespace, target, image, port, _seconds(timeout, "--timeout"))
    nt.validate(request)  # bad input exits 2 before any sandbox or cluster is touched
    with config_for(sandbox) as cfg:
        result = nt.run_nettest(
            cfg, request, progress=lambda line: err.print(line, markup=False, soft_wrap=True)
        )
    if fmt is TableJson.json:
        emit_json(result.summary())
    else:
        out = console()
        for p in result.probes:
            mark = "[green]ok[/]" if p.ok else "[red]FAILED[/]"
            out.print(f"{mark} {p.name} (exit {p.exit_code})", soft_wrap=True)
            out.print("\n".join(f"    {line}" for line in p.output), markup=False, soft_wrap=True)
        out.print(f"pod {result.namespace}/{result.pod}: {'deleted' if result.deleted else 'NOT deleted'}",
                  markup=False)  # fmt: skip
    if result.cleanup_error:
        err.print(f"warning: {result.cleanup_error}", markup=False, soft_wrap=True)
    raise typer.Exit(0 if result.ok else 1)


class YamlJson(StrEnum):
    yaml = "yaml"
    json = "json"


RBAC_HEADER = """\
# The read-only ClusterRole for opsbook's Kubernetes checks, generated by `opsbook k8s rbac` from the reads
# its collectors declare (get/list/watch only). Regenerate it after adding a collector:
#   opsbook k8s rbac > deploy/kubernetes/base/clusterrole.yaml
"""


@k8s_app.command("rbac")
def rbac(
    name: str = typer.Option("opsbook-read", "--name", help="The ClusterRole's name."),
    fmt: YamlJson = typer.Option(YamlJson.yaml, "--format", "-f", help="yaml (a manifest) | json."),
) -> None:
    """Print the read-only ClusterRole every Kubernetes check needs: get/list/watch on exactly the resources
    the collectors declare (`list pods`, `get pods/log`, `get /metrics`...), nothing else. Bind it to the
    identity opsbook uses on each cluster (deploy/kubernetes/base, docs/service.md).

    Example: `opsbook k8s rbac > clusterrole.yaml && kubectl apply -f clusterrole.yaml`."""
    import re

    from opsbook.engine.k8s_rbac import cluster_role

    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", name):
        raise InputError(
            f"--name {name!r}: not a Kubernetes object name (lowercase letters, digits, '-', '.')"
        )
    role = cluster_role(name)
    if fmt is YamlJson.json:
        emit_json(role)
        return
    import yaml

    text = yaml.safe_dump(role, sort_keys=False, default_flow_style=None, width=100)
    typer.echo(RBAC_HEADER + text, nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(k8s_app, name="k8s")
