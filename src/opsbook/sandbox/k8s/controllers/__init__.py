"""Small, deterministic controllers that give the sandbox's writes their real effects.

`Controllers.reconcile()` runs every controller in order until nothing changes (bounded passes):
node boot (new nodes turn Ready) -> CRDs (serve custom resources) -> nodes (cordon taints) -> deployments ->
replicasets -> daemonsets -> scheduler -> kubelet -> programs (netshoot pods run their probes) -> endpoints -> disruption budgets -> pod metrics
(metrics-server) -> HPAs (which scale on those metrics) -> Velero (backups and restores, `velero.py`). The fake API server calls it after every write it
accepts, and a background tick
(`start(interval)`) calls it so time-based progress (pods starting, rollouts stepping, deadlines) moves
on its own. Each controller acts only on what changed or on what it created: seeded states (a NotReady
node, a crash-looping pod, a deployment with unavailable replicas) stay as seeded. A pod annotated
`sandbox.opsbook.io/hold: "true"` is never scheduled or started.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers import (
    crds,
    daemonsets,
    disruption,
    endpoints,
    hpas,
    nodes,
    replicasets,
    scheduler,
)
from opsbook.sandbox.k8s.controllers.common import HOLD
from opsbook.sandbox.k8s.controllers.deployments import DeploymentController
from opsbook.sandbox.k8s.controllers.kubelet import Kubelet
from opsbook.sandbox.k8s.controllers.nodeboot import NodeBoot
from opsbook.sandbox.k8s.controllers.podmetrics import MetricsServer
from opsbook.sandbox.k8s.controllers.programs import Programs
from opsbook.sandbox.k8s.controllers.velero import VeleroController
from opsbook.sandbox.k8s.store import ClusterStore

log = logging.getLogger(__name__)
MAX_PASSES = 20

__all__ = ["HOLD", "Controllers"]


class Controllers:
    def __init__(
        self,
        store: ClusterStore,
        pod_start_seconds: float = 1.0,
        bad_image_deadline: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        node_ready_seconds: float = 2.0,
        velero_seconds: float = 0.5,
    ) -> None:
        self.store = store
        self.nodeboot = NodeBoot(node_ready_seconds, clock)
        self.deployments = DeploymentController(bad_image_deadline, clock)
        self.kubelet = Kubelet(pod_start_seconds, clock)
        self.programs = Programs()  # pods of a debugging image run their probes (programs.py)
        self.metrics = MetricsServer()
        self.velero = VeleroController(velero_seconds, clock)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pass(self) -> bool:
        store = self.store
        steps = (
            self.nodeboot.reconcile,
            crds.reconcile,
            nodes.reconcile,
            self.deployments.reconcile,
            replicasets.reconcile,
            daemonsets.reconcile,
            scheduler.reconcile,
            self.kubelet.reconcile,
            self.programs.reconcile,
            endpoints.reconcile,
            disruption.reconcile,
            self.metrics.reconcile,
            hpas.reconcile,
            self.velero.reconcile,
        )
        changed = False
        for step in steps:
            try:
                changed = step(store) or changed
            except errors.ApiError as exc:  # a write raced a client's write: try again next pass
                if exc.code not in (404, 409):
                    raise
                changed = True
        return changed

    def reconcile(self) -> None:
        """Run the controllers until the cluster settles (or MAX_PASSES passes)."""
        with self._lock:
            for _ in range(MAX_PASSES):
                if not self._pass():
                    return

    def start(self, interval: float = 0.2) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.reconcile()
                except Exception:  # a controller bug must not kill the loop
                    log.exception("sandbox controllers failed")

        self._thread = threading.Thread(target=loop, name="fake-kube-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
