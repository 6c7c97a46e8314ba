"""The sandbox's network probes answer from the cluster's Services, as curl/nslookup/traceroute would."""

from __future__ import annotations

from opsbook.sandbox.k8s import netprobes
from opsbook.sandbox.k8s.store import ClusterStore


def _store() -> ClusterStore:
    store = ClusterStore()
    for ns in ("production", "kube-system"):
        store.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    store.put({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "payments", "namespace": "production"},
               "spec": {"clusterIP": "172.20.52.9", "ports": [{"port": 8080}]}})  # fmt: skip
    return store


def test_probes_resolve_services_through_the_search_path_and_fail_other_names() -> None:
    store = _store()
    out, code = netprobes.curl(store, "production", ["-v", "--max-time", "10", "http://payments:8080/health"])
    assert (
        code == 0
        and "* Connected to payments (172.20.52.9) port 8080" in out
        and "> GET /health HTTP/1.1" in out
    )
    out, code = netprobes.curl(
        store, "kube-system", ["-sS", "http://payments.production.svc.cluster.local:9090"]
    )
    assert code == 7 and "Failed to connect to payments.production.svc.cluster.local port 9090" in out
    out, code = netprobes.curl(store, "kube-system", ["http://payments:8080"])  # not in the pod's namespace
    assert code == 6 and "curl: (6) Could not resolve host: payments" in out
    out, code = netprobes.nslookup(store, "kube-system", ["payments.production"])
    assert code == 0 and "Name:\tpayments.production.svc.cluster.local\nAddress: 172.20.52.9" in out
    out, code = netprobes.traceroute(store, "production", ["-w", "2", "-m", "15", "payments"])
    assert code == 0 and out.startswith("traceroute to payments (172.20.52.9), 30 hops max")
    assert netprobes.traceroute(store, "production", ["api.example.com"]) == (
        "traceroute: bad address 'api.example.com'\n",
        1,
    )
