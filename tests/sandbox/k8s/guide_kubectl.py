"""Shared by the guide's kubectl tables (`test_guide_kubectl_*.py`): a copy of every kubectl line of the
Operations Guide (line number -> text), one seeded fake API per module, and the row registry.

Commands run as the guide writes them, against a kubeconfig whose context namespace is `production` (where
the guide's applications live); placeholders get seeded names and shell pipes are done in Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster, write_kubeconfig

GUIDE = Path(os.environ.get("OPSBOOK_GUIDE", "/work/shared/guide/operations-guide.md"))
MANIFESTS = Path(__file__).parent / "manifests"
TOKEN = "guide-token"
KUBECTL = shutil.which("kubectl")

# `grep -n 'kubectl ' operations-guide.md`, comment lines left out.
GUIDE_COMMANDS: dict[int, str] = {
    34: "kubectl get nodes",
    35: "kubectl get pods --all-namespaces | grep -v Running",
    38: "kubectl get deployments --all-namespaces -o wide",
    54: "kubectl top nodes",
    55: "kubectl top pods --all-namespaces --sort-by=memory",
    58: "kubectl logs -f -l app=myapp --tail=100",
    75: "aws logs tail /aws/eks/$(kubectl config current-context | cut -d'/' -f2)/cluster --follow --since 1h",
    78: "kubectl logs -l app=myapp --tail=100 --all-containers=true",
    91: 'kubectl describe nodes | grep -A 5 "Allocated resources"',
    94: "kubectl get pods --all-namespaces -o json | \\",
    141: "kubectl get backups -n velero",
    173: "kubectl get hpa --all-namespaces",
    294: "watch -n 5 kubectl get nodes",
    297: "kubectl get nodes -o wide",
    304: "kubectl scale deployment my-app --replicas=10",
    307: "kubectl autoscale deployment my-app --min=3 --max=20 --cpu-percent=70",
    310: "kubectl get hpa my-app --watch",
    346: "kubectl get nodes",
    358: "kubectl version --short",
    384: "kubectl apply -f https://raw.githubusercontent.com/aws/aws-load-balancer-controller/v2.6.0/docs/install/v2_6_0_full.yaml",
    387: "kubectl version",
    388: "kubectl get nodes",
    417: "kubectl set image deployment/my-app my-app=myapp:v2.0.0",
    420: "kubectl rollout status deployment/my-app",
    423: "kubectl rollout undo deployment/my-app",
    426: "kubectl apply -f manifests/my-app-v2.yaml",
    429: 'kubectl patch service my-app -p \'{"spec":{"selector":{"version":"v2"}}}\'',
    455: "kubectl get all --all-namespaces -o yaml > cluster-backup-$(date +%Y%m%d).yaml",
    506: "kubectl create secret generic my-secret \\",
    508: "  --dry-run=client -o yaml | kubectl apply -f -",
    511: "kubectl rollout restart deployment/my-app",
    527: "kubectl get clusterrolebindings",
    528: "kubectl get rolebindings --all-namespaces",
    611: "kubectl top nodes",
    612: "kubectl get pods --all-namespaces --sort-by=.spec.nodeName",
    613: "kubectl describe node <high-cpu-node>",
    624: "kubectl get pods -l app=myapp",
    625: "kubectl logs -l app=myapp --tail=100",
    626: "kubectl describe pod <pod-name>",
    628: "kubectl rollout restart deployment/myapp",
    631: "kubectl run test-pod --image=nicolaka/netshoot -it --rm -- bash",
    659: "kubectl apply -f manifests/maintenance-page.yaml",
    662: 'kubectl patch hpa myapp -p \'{"spec":{"minReplicas":0,"maxReplicas":0}}\'',
    671: "kubectl delete -f manifests/maintenance-page.yaml",
    674: 'kubectl patch hpa myapp -p \'{"spec":{"minReplicas":3,"maxReplicas":20}}\'',
}


def guide_lines(text: str) -> dict[int, str]:
    """What `grep -n 'kubectl '` finds in the guide, comments left out."""
    return {
        number: line
        for number, line in enumerate(text.splitlines(), start=1)
        if "kubectl " in line and not line.lstrip().startswith("#")
    }


@dataclass
class Guide:
    server: FakeKubeServer
    kubeconfig: Path
    tmp: Path

    @property
    def store(self):  # noqa: ANN201 - ClusterStore
        return self.server.store

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run(
            [KUBECTL, "--cache-dir", str(self.tmp / "cache"), *args], input=stdin, env=env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def settle(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the sandbox did not settle in time"
            time.sleep(0.05)


def start_guide(tmp: Path) -> Iterator[Guide]:
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    server = FakeKubeServer(token=TOKEN, tls=True, tick=0.1, pod_start_seconds=0.2)
    server.api.log_follow_seconds = 0.5
    seed_cluster(server.store)
    url = server.start()
    config = write_kubeconfig(tmp / "kubeconfig", url, TOKEN, "my-cluster", "production", server.ca_pem)
    try:
        yield Guide(server, config, tmp)
    finally:
        server.stop()


Row = Callable[[Guide], None]


def registry() -> tuple[dict[int, Row], Callable[..., Callable[[Row], Row]]]:
    """A module's rows: `@row(34, 346)` marks a function as the test of those guide lines."""
    rows: dict[int, Row] = {}

    def row(*lines: int) -> Callable[[Row], Row]:
        def mark(fn: Row) -> Row:
            for line in lines:
                assert line in GUIDE_COMMANDS, f"line {line} is not a kubectl line of the guide"
                rows[line] = fn
            return fn

        return mark

    return rows, row


def unique(rows: dict[int, Row]) -> list[Row]:
    """Each row function once, in guide order (the order the rows run in)."""
    return list(dict.fromkeys(rows[line] for line in sorted(rows)))
