"""A fake Kubernetes API server for the sandbox, served over real HTTP on 127.0.0.1, and its seed data.

from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster, write_kubeconfig

server = FakeKubeServer(token="sandbox")
seed_cluster(server.store)
url = server.start()
write_kubeconfig("kubeconfig", url, token="sandbox", context_name="my-cluster")
"""

from opsbook.sandbox.k8s.api import ForbidRule
from opsbook.sandbox.k8s.seed import CLUSTER_NAME, seed_cluster, seed_logs, seed_objects
from opsbook.sandbox.k8s.server import FakeKubeServer, kubeconfig, write_kubeconfig
from opsbook.sandbox.k8s.store import ClusterStore

__all__ = [
    "CLUSTER_NAME",
    "ClusterStore",
    "FakeKubeServer",
    "ForbidRule",
    "kubeconfig",
    "seed_cluster",
    "seed_logs",
    "seed_objects",
    "write_kubeconfig",
]
