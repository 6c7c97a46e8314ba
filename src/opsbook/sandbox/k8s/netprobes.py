"""The network probes of a debugging image (nicolaka/netshoot) as the sandbox runs them: there is no
network, so `curl`, `traceroute` and `nslookup` answer from the cluster's Services. A name resolves through
the pod's DNS search path (NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local) to a Service's
ClusterIP; anything else fails as the real tools do: curl exit 6 (could not resolve host), traceroute exit 1
(bad address), nslookup NXDOMAIN exit 1. curl connects only to a port the Service exposes (else exit 7).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.store import ClusterStore

Obj = dict[str, Any]
CLUSTER_DOMAIN = "cluster.local"
CURL_VERSION = "8.7.1"
VALUE_FLAGS = {"-m", "--max-time", "--connect-timeout", "-o", "--output", "-H", "--header", "-w", "-q", "-p"}


def service(store: ClusterStore, name: str, namespace: str) -> Obj | None:
    try:
        return store.get("services", name, namespace)
    except errors.ApiError:
        return None


def resolve(store: ClusterStore, name: str, namespace: str) -> tuple[str, str, Obj] | None:
    """(fully qualified name, ClusterIP, Service) of `name` as seen from a pod in `namespace`, or None."""
    parts = name.rstrip(".").split(".")
    candidates = [(parts[0], namespace)] if len(parts) == 1 else []
    if len(parts) >= 2 and (len(parts) == 2 or parts[2:] in (["svc"], ["svc", *CLUSTER_DOMAIN.split(".")])):
        candidates.append((parts[0], parts[1]))
    for svc_name, ns in candidates:
        svc = service(store, svc_name, ns)
        ip = ((svc or {}).get("spec") or {}).get("clusterIP")
        if svc is not None and ip and ip != "None":
            return f"{svc_name}.{ns}.svc.{CLUSTER_DOMAIN}", ip, svc
    return None


def positional(args: list[str]) -> list[str]:
    """The operands of a probe's argv (options and their values left out)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in VALUE_FLAGS:
            skip = True
        elif not a.startswith("-"):
            out.append(a)
    return out


def curl(store: ClusterStore, namespace: str, args: list[str]) -> tuple[str, int]:
    """`curl [-v] [-sS] [--max-time N] URL`: (output as the container logs it, exit code)."""
    urls = positional(args)
    if not urls:
        return "curl: no URL specified\n", 2
    url = urls[0] if "://" in urls[0] else "http://" + urls[0]
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n", 3
    verbose = "-v" in args or "--verbose" in args
    found = resolve(store, host, namespace)
    if found is None:
        lead = f"* Could not resolve host: {host}\n" if verbose else ""
        return f"{lead}curl: (6) Could not resolve host: {host}\n", 6
    _, ip, svc = found
    lines = [f"* Host {host}:{port} was resolved.", f"* IPv4: {ip}", f"*   Trying {ip}:{port}..."]
    ports = {int(p.get("port", 0)) for p in (svc.get("spec") or {}).get("ports") or []}
    if port not in ports:
        fail = f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"
        return ("\n".join(lines) + "\n" if verbose else "") + fail + "\n", 7
    lines += [f"* Connected to {host} ({ip}) port {port}", f"> GET {parts.path or '/'} HTTP/1.1",
              f"> Host: {host}:{port}" if port not in (80, 443) else f"> Host: {host}",
              f"> User-Agent: curl/{CURL_VERSION}", "> Accept: */*", ">",
              "< HTTP/1.1 200 OK", "< Content-Type: text/plain", "<"]  # fmt: skip
    body = "ok\n"
    return ("\n".join(lines) + "\n" if verbose else "") + body, 0


def traceroute(store: ClusterStore, namespace: str, args: list[str]) -> tuple[str, int]:
    """`traceroute [-m N] [-w N] HOST`: the node's gateway, then the Service."""
    hosts = positional(args)
    if not hosts:
        return "Usage: traceroute [-m MAXTTL] [-w WAIT] HOST\n", 1
    found = resolve(store, hosts[0], namespace)
    if found is None:
        return f"traceroute: bad address '{hosts[0]}'\n", 1
    _, ip, _ = found
    return (
        f"traceroute to {hosts[0]} ({ip}), 30 hops max, 46 byte packets\n"
        f" 1  10.0.0.1 (10.0.0.1)  0.412 ms  0.301 ms  0.298 ms\n"
        f" 2  {ip} ({ip})  0.902 ms  0.851 ms  0.840 ms\n",
        0,
    )


def nslookup(store: ClusterStore, namespace: str, args: list[str]) -> tuple[str, int]:
    """`nslookup NAME`: the cluster DNS server, then the Service's address or NXDOMAIN."""
    names = positional(args)
    if not names:
        return "usage: nslookup NAME\n", 1
    kube_dns = service(store, "kube-dns", "kube-system")
    dns = ((kube_dns or {}).get("spec") or {}).get("clusterIP") or "172.20.0.10"
    header = f"Server:\t\t{dns}\nAddress:\t{dns}#53\n\n"
    found = resolve(store, names[0], namespace)
    if found is None:
        return f"{header}** server can't find {names[0].rstrip('.')}: NXDOMAIN\n\n", 1
    fqdn, ip, _ = found
    return f"{header}Name:\t{fqdn}\nAddress: {ip}\n\n", 0
