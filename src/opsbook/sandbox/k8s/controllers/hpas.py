"""placeholder"""

from opsbook.sandbox.k8s.store import ClusterStore


def reconcile(store: ClusterStore) -> bool:
    return False
