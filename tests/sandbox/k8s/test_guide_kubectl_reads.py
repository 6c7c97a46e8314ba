"""Every kubectl line of the Operations Guide that reads, run with kubectl 1.32 against one seeded fake API,
each asserting what a real cluster would show for the seed (the writes: `test_guide_kubectl_writes.py`).
Also: the two tables together cover every kubectl line of the guide."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from tests.sandbox.k8s import test_guide_kubectl_writes as writes
from tests.sandbox.k8s.guide_kubectl import (
    GUIDE,
    GUIDE_COMMANDS,
    KUBECTL,
    Guide,
    guide_lines,
    registry,
    start_guide,
    unique,
)

ROWS, row = registry()
NODES = 6


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guide]:
    yield from start_guide(tmp_path_factory.mktemp("guide-reads"))


def _table(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:]]


@row(34, 294, 346, 388)
def get_nodes(g: Guide) -> None:  # `watch -n 5` repeats the same command
    rows = _table(g.kubectl("get", "nodes").stdout)
    assert len(rows) == NODES
    statuses = {r[0]: r[1] for r in rows}
    assert statuses["ip-10-0-2-21.ec2.internal"] == "NotReady"
    assert statuses["ip-10-0-2-23.ec2.internal"] == "Ready,SchedulingDisabled"


@row(35)
def pods_not_running(g: Guide) -> None:
    out = g.kubectl("get", "pods", "--all-namespaces").stdout
    kept = [line for line in out.splitlines() if "Running" not in line]  # grep -v Running
    assert kept[0].split()[:3] == ["NAMESPACE", "NAME", "READY"]
    assert sorted(line.split()[3] for line in kept[1:]) == ["Completed", "CrashLoopBackOff", "Pending"]


@row(38)
def deployments_wide(g: Guide) -> None:
    rows = {r[1]: r for r in _table(g.kubectl("get", "deployments", "--all-namespaces", "-o", "wide").stdout)}
    assert rows["payments"][2] == "1/3" and "mycompany/payments:3.1.0" in rows["payments"]


@row(54, 611)
def top_nodes(g: Guide) -> None:
    rows = _table(g.kubectl("top", "nodes").stdout)
    cpu = {r[0]: r[2] for r in rows}
    assert cpu["ip-10-0-2-24.ec2.internal"] == "92%" and cpu["ip-10-0-2-21.ec2.internal"] == "<unknown>"


@row(55)
def top_pods_by_memory(g: Guide) -> None:
    rows = _table(g.kubectl("top", "pods", "--all-namespaces", "--sort-by=memory").stdout)
    memory = [int(r[3].removesuffix("Mi")) for r in rows]
    assert memory == sorted(memory, reverse=True) and rows[0][1].startswith("myapp-")


@row(58)
def logs_follow(g: Guide) -> None:
    started = time.monotonic()
    out = g.kubectl("logs", "-f", "-l", "app=myapp", "--tail=100").stdout
    assert time.monotonic() - started > 0.4  # it followed (log_follow_seconds), then ended
    assert "ERROR" in out and len(out.splitlines()) > 10


@row(75)
def current_context(g: Guide) -> None:
    out = g.kubectl("config", "current-context").stdout.strip()
    assert out.split("/")[1 if "/" in out else 0] == "my-cluster"  # cut -d'/' -f2 (whole line without '/')


@row(78, 625)
def logs_by_label(g: Guide) -> None:
    out = g.kubectl("logs", "-l", "app=myapp", "--tail=100", "--all-containers=true").stdout
    assert "Database connection timeout" in out and "Exception" in out


@row(91)
def allocated_resources(g: Guide) -> None:
    lines = g.kubectl("describe", "nodes").stdout.splitlines()
    hits = [i for i, line in enumerate(lines) if "Allocated resources" in line]  # grep -A 5
    assert len(hits) == NODES
    busy = lines[hits[-1] : hits[-1] + 6]
    assert any(line.split()[:2] == ["cpu", "1125m"] for line in busy), (
        busy
    )  # 4 x 250m apps + 25m + 100m agents


@row(94)
def pod_resources_json(g: Guide) -> None:
    items = json.loads(g.kubectl("get", "pods", "--all-namespaces", "-o", "json").stdout)["items"]
    view = {(i["metadata"]["namespace"], i["metadata"]["name"]): [c.get("resources") for c in i["spec"]["containers"]]
            for i in items}  # the guide's jq: {name, namespace, resources}  # fmt: skip
    assert view[("default", "legacy-app-84c5d6f7b9-kx8ds")] == [{}]
    assert view[("production", "myapp-6d4cf56db6-2xkqp")][0]["limits"] == {"cpu": "500m", "memory": "512Mi"}


@row(141)
def velero_backups(g: Guide) -> None:
    statuses = [r[1] for r in _table(g.kubectl("get", "backups", "-n", "velero").stdout)]
    assert {"Completed", "Failed", "PartiallyFailed"} <= set(statuses)


@row(173)
def hpas(g: Guide) -> None:
    out = g.kubectl("get", "hpa", "--all-namespaces").stdout
    assert "cpu: <unknown>/70%" in out and "cpu: 95%/70%" in out


@row(297)
def nodes_wide(g: Guide) -> None:
    rows = {r[0]: r for r in _table(g.kubectl("get", "nodes", "-o", "wide").stdout)}
    assert rows["ip-10-0-1-10.ec2.internal"][5] == "10.0.1.10"


@row(358)
def version_short_is_gone(g: Guide) -> None:
    out = g.kubectl("version", "--short", check=False)
    assert out.returncode == 1 and "unknown flag: --short" in out.stderr  # removed in kubectl 1.28


@row(387)
def version(g: Guide) -> None:
    out = g.kubectl("version").stdout
    assert "Client Version: v1.32" in out and "Server Version: v1.32" in out


@row(455)
def export_everything(g: Guide) -> None:
    import yaml

    out = g.tmp / f"cluster-backup-{time.strftime('%Y%m%d')}.yaml"
    out.write_text(g.kubectl("get", "all", "--all-namespaces", "-o", "yaml").stdout)
    kinds = {i["kind"] for i in yaml.safe_load(out.read_text())["items"]}
    assert {"Pod", "Service", "Deployment", "ReplicaSet", "DaemonSet", "CronJob", "Job"} <= kinds
    assert "Secret" not in kinds


@row(527, 528)
def bindings(g: Guide) -> None:
    cluster = {r[0]: r[1] for r in _table(g.kubectl("get", "clusterrolebindings").stdout)}
    assert cluster["jane-cluster-admin"] == "ClusterRole/cluster-admin"
    local = _table(g.kubectl("get", "rolebindings", "--all-namespaces").stdout)
    assert ["production", "support-pod-reader", "Role/pod-reader"] == local[1][:3]


@row(612)
def pods_by_node(g: Guide) -> None:
    names = [
        r[1] for r in _table(g.kubectl("get", "pods", "--all-namespaces", "--sort-by=.spec.nodeName").stdout)
    ]
    node_of = {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in g.store.list("pods")}
    assert sorted(names) == sorted(node_of)
    nodes = [node_of[n] for n in names]
    assert nodes == sorted(nodes) and names[0] == "worker-59d6f7c8b-zt5lq"  # Pending: no node, first


@row(613)
def describe_busiest_node(g: Guide) -> None:
    busiest = max(
        _table(g.kubectl("top", "nodes").stdout), key=lambda r: int(r[2].rstrip("%")) if "%" in r[2] else -1
    )
    out = g.kubectl("describe", "node", busiest[0]).stdout  # <high-cpu-node>
    assert busiest[0] == "ip-10-0-2-24.ec2.internal" and "Non-terminated Pods:" in out
    assert out.count("my-app-7c9d8f6b5-") == 3


@row(624, 626)
def app_pods_and_describe(g: Guide) -> None:
    rows = _table(g.kubectl("get", "pods", "-l", "app=myapp").stdout)
    assert len(rows) == 3 and all(r[2] == "Running" for r in rows)
    out = g.kubectl("describe", "pod", rows[0][0]).stdout  # <pod-name>
    assert re.search(r"Status:\s+Running", out) and "mycompany/myapp:1.8.2" in out


@pytest.mark.parametrize("check", unique(ROWS), ids=lambda f: f.__name__)
def test_guide_read(guide: Guide, check: writes.Row) -> None:
    check(guide)


def test_the_tables_cover_every_kubectl_line_of_the_guide() -> None:
    covered = set(ROWS) | set(writes.ROWS)
    assert sorted(covered) == sorted(GUIDE_COMMANDS)
    if not GUIDE.exists():
        pytest.skip(f"the guide is not at {GUIDE} (set OPSBOOK_GUIDE); checked against the copy only")
    assert guide_lines(GUIDE.read_text()) == GUIDE_COMMANDS


def test_kubectl_is_1_32() -> None:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    out = subprocess.run([KUBECTL, "version", "--client"], capture_output=True, text=True, check=False)
    assert "v1.32" in out.stdout, out.stdout
