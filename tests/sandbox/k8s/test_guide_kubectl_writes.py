"""Every kubectl line of the Operations Guide that changes something, run with kubectl 1.32 against one
seeded fake API (rows run in guide order), each reading its effect back from the sandbox. Where the guide
is wrong on a real cluster, the row asserts the failure a real server and kubectl give."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import threading
from collections.abc import Iterator

import pytest
from tests.sandbox.k8s.guide_kubectl import KUBECTL, MANIFESTS, Guide, Row, registry, start_guide, unique

ROWS, row = registry()
__all__ = ["ROWS", "Row"]
DEPLOY, HPA = "deployments.apps", "hpa"


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guide]:
    yield from start_guide(tmp_path_factory.mktemp("guide-writes"))


def _image(g: Guide, name: str) -> str:
    return str(g.store.get(DEPLOY, name, "production")["spec"]["template"]["spec"]["containers"][0]["image"])


def _pods(g: Guide, selector: str) -> list[dict]:
    return [p for p in g.store.list("pods", "production", selector) if p["status"].get("phase") == "Running"]


@row(304)
def scale(g: Guide) -> None:
    g.kubectl("scale", "deployment", "my-app", "--replicas=10")
    assert (
        g.server.requests.count("PATCH", "/apis/apps/v1/namespaces/production/deployments/my-app/scale") == 1
    )
    # as on a real cluster, my-app's HPA (2-4 replicas) owns the count and scales the deployment back
    # (`opsbook plan scale-deployment` widens the HPA first for that reason)
    g.settle(lambda: g.store.get(HPA, "my-app", "production")["status"].get("desiredReplicas") == 4)
    g.settle(lambda: g.store.get(DEPLOY, "my-app", "production")["spec"]["replicas"] == 4)
    g.settle(lambda: len(_pods(g, "app=my-app")) == 4)


@row(307)
def autoscale(g: Guide) -> None:
    args = ("autoscale", "deployment", "my-app", "--min=3", "--max=20", "--cpu-percent=70")
    taken = g.kubectl(*args, check=False)
    assert taken.returncode == 1 and "AlreadyExists" in taken.stderr  # the seed has one, as the real cluster
    g.kubectl("delete", "hpa", "my-app")
    g.kubectl(*args)
    spec = g.store.get(HPA, "my-app", "production")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 20)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


@row(310)
def watch_hpa(g: Guide) -> None:
    assert KUBECTL is not None
    env = {"KUBECONFIG": str(g.kubeconfig), "PATH": "/usr/bin:/bin"}
    watching = subprocess.Popen([KUBECTL, "--cache-dir", str(g.tmp / "cache"), "get", "hpa", "my-app", "--watch"],
                                stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    timer = threading.Timer(20, watching.kill)  # a broken watch must not hang the suite
    timer.start()
    try:
        assert watching.stdout is not None
        columns = re.split(r"\s{2,}", watching.stdout.readline().strip())
        maxpods = columns.index("MAXPODS")
        assert re.split(r"\s{2,}", watching.stdout.readline().strip())[maxpods] == "20"
        g.kubectl("patch", "hpa", "my-app", "-p", '{"spec":{"maxReplicas":25}}')
        seen = []  # the HPA controller's status updates may arrive first; the patch must arrive too
        while (line := watching.stdout.readline().strip()) and len(seen) < 20:
            seen.append(re.split(r"\s{2,}", line)[maxpods])
            if seen[-1] == "25":
                break
        assert seen and seen[-1] == "25", f"the watch showed MAXPODS {seen}"
    finally:
        timer.cancel()
        watching.kill()
        watching.wait()


@row(384)
def alb_controller_manifest(g: Guide) -> None:
    # No network here: the same kinds from a local stand-in (see its header); the URL form is kubectl's own.
    out = g.kubectl("apply", "-f", str(MANIFESTS / "aws-load-balancer-controller-v2.6.0.yaml")).stdout
    assert out.count(" created") == 10
    crd = g.store.get("crd", "targetgroupbindings.elbv2.k8s.aws")
    assert {c["type"] for c in crd["status"]["conditions"]} == {"NamesAccepted", "Established"}
    g.settle(lambda: g.store.get(DEPLOY, "aws-load-balancer-controller", "kube-system")["status"].get(
        "availableReplicas") == 1)  # fmt: skip
    assert g.kubectl("get", "tgb").stdout == ""  # the custom resource is served (none yet)
    assert "No resources found" in g.kubectl("get", "targetgroupbindings", "-A").stderr


@row(417)
def set_image(g: Guide) -> None:
    wrong = g.kubectl("set", "image", "deployment/my-app", "my-app=myapp:v2.0.0", check=False)
    assert wrong.returncode == 1 and 'unable to find container named "my-app"' in wrong.stderr  # it is "app"
    assert _image(g, "my-app") == "mycompany/my-app:2.4.0"


@row(420)
def rollout_status(g: Guide) -> None:
    g.kubectl("set", "image", "deployment/my-app", "app=myapp:v2.0.0")  # the guide's step, right container
    out = g.kubectl("rollout", "status", "deployment/my-app", "--timeout=30s").stdout
    assert 'deployment "my-app" successfully rolled out' in out
    assert {p["spec"]["containers"][0]["image"] for p in _pods(g, "app=my-app")} == {"myapp:v2.0.0"}


@row(423)
def rollout_undo(g: Guide) -> None:
    g.kubectl("rollout", "undo", "deployment/my-app")
    assert _image(g, "my-app") == "mycompany/my-app:2.4.0"
    g.kubectl("rollout", "status", "deployment/my-app", "--timeout=30s")


@row(426, 429)
def blue_green(g: Guide) -> None:
    g.kubectl("apply", "-f", str(MANIFESTS / "my-app-v2.yaml"))
    g.kubectl("rollout", "status", "deployment/my-app-v2", "--timeout=30s")
    g.kubectl("patch", "service", "my-app", "-p", '{"spec":{"selector":{"version":"v2"}}}')
    assert g.store.get("services", "my-app", "production")["spec"]["selector"] == {
        "app": "my-app",
        "version": "v2",
    }
    v2 = {p["status"]["podIP"] for p in _pods(g, "app=my-app,version=v2")}

    def endpoint_ips() -> set[str]:
        subsets = g.store.get("endpoints", "my-app", "production").get("subsets") or []
        return {a["ip"] for s in subsets for a in s.get("addresses") or []}

    g.settle(lambda: endpoint_ips() == v2)  # traffic switched to v2 only
    assert len(v2) == 2


@row(506, 508)
def rotate_secret(g: Guide) -> None:
    for verb in ("created", "configured"):  # first run creates, a rotation updates
        password = base64.b64encode(secrets.token_bytes(32)).decode()  # openssl rand -base64 32
        made = g.kubectl("create", "secret", "generic", "my-secret", f"--from-literal=password={password}",
                         "--dry-run=client", "-o", "yaml")  # fmt: skip
        applied = g.kubectl("apply", "-f", "-", stdin=made.stdout)
        assert applied.stdout.strip() == f"secret/my-secret {verb}"
        assert password not in applied.stdout + applied.stderr
        stored = g.store.get("secrets", "my-secret", "production")["data"]["password"]
        assert base64.b64decode(stored).decode() == password


@row(511, 628)
def rollout_restart(g: Guide) -> None:
    for name in ("my-app", "myapp"):
        before = {p["metadata"]["name"] for p in _pods(g, f"app={name}")}
        g.kubectl("rollout", "restart", f"deployment/{name}")
        template = g.store.get(DEPLOY, name, "production")["spec"]["template"]
        assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
        g.kubectl("rollout", "status", f"deployment/{name}", "--timeout=30s")
        assert not before & {p["metadata"]["name"] for p in _pods(g, f"app={name},version!=v2")}


@row(631)
def debug_pod(g: Guide) -> None:
    script = "hostname\nnslookup my-app\nnslookup api.example.com\nfoo\necho done\n"
    out = g.kubectl("run", "test-pod", "--image=nicolaka/netshoot", "-it", "--rm", "--", "bash", stdin=script)
    assert "Unable to use a TTY" in out.stderr  # stdin is a pipe here, as in any script
    assert out.stdout.startswith("test-pod\n")
    ip = g.store.get("services", "my-app", "production")["spec"]["clusterIP"]
    assert f"Name:\tmy-app.production.svc.cluster.local\nAddress: {ip}" in out.stdout
    assert "** server can't find api.example.com: NXDOMAIN" in out.stdout
    assert "bash: foo: command not found" in out.stderr and "done\n" in out.stdout
    assert 'pod "test-pod" deleted' in out.stdout
    assert not g.store.list("pods", "production", field_selector_text="metadata.name=test-pod")  # --rm


@row(659, 671)
def maintenance_page(g: Guide) -> None:
    page = str(MANIFESTS / "maintenance-page.yaml")
    g.kubectl("apply", "-f", page)
    for kind in ("configmaps", DEPLOY, "services"):
        assert g.store.get(kind, "maintenance-page", "production")
    g.settle(lambda: len(_pods(g, "app=maintenance-page")) == 1)
    g.kubectl("delete", "-f", page)
    for kind in ("configmaps", DEPLOY, "services"):
        assert not g.store.list(kind, "production", field_selector_text="metadata.name=maintenance-page")


@row(662)
def hpa_to_zero_is_invalid(g: Guide) -> None:
    out = g.kubectl("patch", "hpa", "myapp", "-p", '{"spec":{"minReplicas":0,"maxReplicas":0}}', check=False)
    assert out.returncode == 1 and 'The HorizontalPodAutoscaler "myapp" is invalid' in out.stderr
    assert "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1" in out.stderr
    assert g.store.get(HPA, "myapp", "production")["spec"]["minReplicas"] == 3  # nothing changed


@row(674)
def hpa_restore(g: Guide) -> None:
    g.kubectl("patch", "hpa", "myapp", "-p", '{"spec":{"maxReplicas":30}}')
    g.kubectl("patch", "hpa", "myapp", "-p", '{"spec":{"minReplicas":3,"maxReplicas":20}}')
    spec = g.store.get(HPA, "myapp", "production")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 20)


def test_guide_writes_in_order(guide: Guide) -> None:
    """The rows share one fake cluster and run in the guide's order (a later row reads an earlier one's
    effect: watch_hpa the autoscale row's max, rollout_undo set_image's image), so they are one test: pytest-xdist
    may hand a module's parametrized cases to different workers."""
    for check in unique(ROWS):
        try:
            check(guide)
        except AssertionError as exc:
            raise AssertionError(f"guide row {check.__name__}: {exc}") from exc
