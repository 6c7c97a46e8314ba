"""`opsbook k8s nettest`: the guide's network test pod (`kubectl run test-pod --image=nicolaka/netshoot`,
then `curl -v`, `nslookup`, `traceroute` from inside), as one short-lived pod.

Order of work:
1. validate TARGET (a hostname or an http(s) URL: no credentials, spaces, quotes or globbing characters, so
   nothing in it can become an option or a second command), the namespace, image, port and timeout;
2. create the pod `opsbook-nettest-<id>`: restartPolicy Never, `activeDeadlineSeconds` (the cluster ends it
   even if opsbook dies), labelled `app.kubernetes.io/managed-by: opsbook`, one container per probe, each an
   argv list (no shell): `curl -v -sS --max-time N URL`, `nslookup HOST`, `traceroute -w 2 -m 15 HOST`;
3. wait for it to end (Succeeded/Failed), with progress, at most `timeout`;
4. read each container's log and exit code: one ProbeResult per probe;
5. always delete the pod (an error, a timeout, Ctrl-C), and say so when that failed.

It runs directly, not through a plan: it changes nothing but the pod it names and removes.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetFailed

Progress = Callable[[str], None]
DEFAULT_IMAGE = "nicolaka/netshoot"
MANAGED_BY = "app.kubernetes.io/managed-by"
NETTEST_LABEL = "opsbook.io/nettest"
HOST = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?", re.I
)
URL_REST = re.compile(r"[A-Za-z0-9._~&=:%/?+-]*")  # path and query: no spaces, quotes, $, (), {}, []
IMAGE = re.compile(
    r"[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?"
)
CURL_MAX_SECONDS = 10


@dataclass(frozen=True)
class NettestRequest:
    cluster: str
    namespace: str
    target: str
    image: str = DEFAULT_IMAGE
    port: int | None = None
    timeout: float = 60.0
    poll_interval: float = 0.5


@dataclass
class ProbeResult:
    name: str
    argv: list[str]
    exit_code: int | None = None
    output: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass
class NettestResult:
    cluster: str
    namespace: str
    pod: str
    host: str
    url: str
    phase: str = ""
    probes: list[ProbeResult] = field(default_factory=list)
    deleted: bool = False
    cleanup_error: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.probes) and all(p.ok for p in self.probes)

    def summary(self) -> dict[str, Any]:
        return {"cluster": self.cluster, "namespace": self.namespace, "pod": self.pod, "host": self.host,
                "url": self.url, "phase": self.phase, "ok": self.ok, "pod_deleted": self.deleted,
                "cleanup_error": self.cleanup_error,
                "probes": [{"probe": p.name, "argv": p.argv, "exit_code": p.exit_code, "ok": p.ok,
                            "output": p.output} for p in self.probes]}  # fmt: skip


def parse_target(target: str, port: int | None) -> tuple[str, str]:
    """(host, URL) of TARGET: a hostname (https, or http on `port`) or an http(s) URL."""
    if "://" not in target:
        if not HOST.fullmatch(target):
            raise InputError(
                f"TARGET {target!r}: expected a hostname (e.g. api.example.com) or an http(s) URL"
            )
        host = target.rstrip(".")
        url = f"https://{host}" if port in (None, 443) else f"http://{host}:{port}"
        return host, url
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "Invalid IPv6 URL"
        raise InputError(f"TARGET {target!r}: expected http(s)://HOST[:PORT][/PATH]") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(f"TARGET {target!r}: only http:// and https:// URLs")
    if "@" in parts.netloc:
        raise InputError(f"TARGET {target!r}: no credentials in the URL")
    host = parts.hostname or ""
    try:
        url_port = parts.port
    except ValueError:
        raise InputError(f"TARGET {target!r}: the port is not a number from 1 to 65535") from None
    rest = target.split("://", 1)[1][len(parts.netloc) :]
    if not HOST.fullmatch(host) or not URL_REST.fullmatch(rest) or parts.fragment:
        raise InputError(f"TARGET {target!r}: expected http(s)://HOST[:PORT][/PATH] without spaces or quotes")
    if port is not None:
        if url_port is not None:
            raise InputError(f"--port {port}: TARGET {target!r} names its port already")
        target = f"{parts.scheme}://{host}:{port}{rest}"
    return host, target


def validate(request: NettestRequest) -> tuple[str, str]:
    from opsbook.engine.workload import DNS_LABEL

    if not DNS_LABEL.fullmatch(request.namespace):
        raise InputError(f"--namespace {request.namespace!r}: expected a namespace name")
    if not IMAGE.fullmatch(request.image):
        raise InputError(
            f"--image {request.image!r}: expected an image reference like nicolaka/netshoot:v0.13"
        )
    if request.port is not None and not 1 <= request.port <= 65535:
        raise InputError(f"--port {request.port}: expected 1-65535")
    if request.timeout <= 0:
        raise InputError(f"--timeout: must be positive, got {request.timeout:g} s")
    return parse_target(request.target, request.port)


def probes(host: str, url: str) -> list[tuple[str, list[str]]]:
    return [
        ("curl", ["curl", "-v", "-sS", "--max-time", str(CURL_MAX_SECONDS), url]),
        ("nslookup", ["nslookup", host]),
        ("traceroute", ["traceroute", "-w", "2", "-m", "15", host]),
    ]


def pod_spec(name: str, test_id: str, request: NettestRequest, host: str, url: str) -> dict[str, Any]:
    resources = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
    containers = [{"name": n, "image": request.image, "command": argv, "resources": resources}
                  for n, argv in probes(host, url)]  # fmt: skip
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": request.namespace,
                         "labels": {MANAGED_BY: "opsbook", NETTEST_LABEL: test_id}},
            "spec": {"restartPolicy": "Never", "activeDeadlineSeconds": max(1, math.ceil(request.timeout)),
                     "terminationGracePeriodSeconds": 0, "containers": containers}}  # fmt: skip


def run_nettest(cfg: Config, request: NettestRequest, progress: Progress = lambda _: None) -> NettestResult:
    """Run the probes from a pod in `request.namespace`; see the module's order of work."""
    from opsbook.engine.estate import expand
    from opsbook.engine.workload import cluster_api

    host, url = validate(request)
    cfg = expand(cfg)
    if request.cluster not in (names := [c.name for c in cfg.clusters]):
        raise InputError(
            f"--cluster {request.cluster}: no such cluster (have: {', '.join(names) or 'none configured'})"
        )
    test_id = secrets.token_hex(3)
    result = NettestResult(request.cluster, request.namespace, f"opsbook-nettest-{test_id}", host, url)
    path = f"/api/v1/namespaces/{request.namespace}/pods"
    with cluster_api(cfg, request.cluster, "network test pod") as api:
        from kubernetes import client as k8s

        body = pod_spec(result.pod, test_id, request, host, url)
        try:  # the create too: Ctrl-C while it is answered must not leave the pod behind
            _create(k8s.CoreV1Api(api), request, body)
            progress(f"pod {request.namespace}/{result.pod} created ({request.image}); probing {url}")
            doc = _wait(api, f"{path}/{result.pod}", request, result, progress)
            result.probes = _read(api, f"{path}/{result.pod}", doc, host, url)
        finally:
            _delete(api, f"{path}/{result.pod}", result, progress)
    return result


def _create(core: Any, request: NettestRequest, body: dict[str, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core.create_namespaced_pod(request.namespace, body)
    except ApiException as exc:
        if exc.status == 404:  # the only thing a pod create cannot find is its namespace
            raise InputError(
                f"--namespace {request.namespace}: no such namespace in cluster {request.cluster}"
            ) from None
        raise


def _wait(api: Any, path: str, request: NettestRequest, result: NettestResult, progress: Progress) -> Any:
    deadline = time.monotonic() + request.timeout
    while True:
        doc = api.get_json(path)
        phase = (doc.get("status") or {}).get("phase") or "Pending"
        if phase != result.phase:
            progress(f"  pod {phase}")
            result.phase = phase
        if phase in ("Succeeded", "Failed"):
            return doc
        if time.monotonic() >= deadline:
            raise TargetFailed(
                f"network test pod {result.pod} did not finish within {request.timeout:g} s (phase {phase})"
            )
        time.sleep(min(request.poll_interval, max(0.0, deadline - time.monotonic())))


def _read(api: Any, path: str, doc: Any, host: str, url: str) -> list[ProbeResult]:
    from kubernetes.client.exceptions import ApiException

    codes = {s.get("name"): ((s.get("state") or {}).get("terminated") or {}).get("exitCode")
             for s in (doc.get("status") or {}).get("containerStatuses") or []}  # fmt: skip
    out = []
    for name, argv in probes(host, url):
        try:
            text = api.get(f"{path}/log", {"container": name}, accept="text/plain").decode("utf-8", "replace")
        except ApiException as exc:
            text = f"(no log: {exc.status} {exc.reason})"
        out.append(ProbeResult(name, argv, codes.get(name), text.splitlines()))
    return out


def _delete(api: Any, path: str, result: NettestResult, progress: Progress) -> None:
    try:
        result.deleted = api.delete(path)  # False: never created (404)
        if result.deleted:
            progress(f"  pod {result.pod} deleted")
    except Exception as exc:  # noqa: BLE001 - reported with the pod's name so it can be removed by hand
        from opsbook.core.errors import one_line

        result.cleanup_error = f"could not delete pod {result.namespace}/{result.pod}: {one_line(exc, 300)}"
        progress(f"  {result.cleanup_error}")
