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
        self.clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._settled: str | None = None  # the store revision at which the tick found nothing left to do
        self._revision: str | None = None  # the last revision the tick saw, and when it first saw it
        self._revision_at = 0.0

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

    def _timers(self) -> float:
        """The longest a controller acts on time alone after the cluster last changed."""
        return max(self.nodeboot.ready_seconds, self.kubelet.start_seconds, self.deployments.bad_image_deadline,
                   self.velero.seconds)  # fmt: skip

    def tick(self, interval: float) -> None:
        """The background pass. A cluster that has not changed for longer than every controller's timer,
        and where a pass then changed nothing, is settled: nothing runs until the store changes again
        (an idle sandbox spent ~9% of a CPU re-listing it five times a second)."""
        revision = self.store.resource_version
        if revision == self._settled:
            return
        now = self.clock()
        if revision != self._revision:
            self._revision, self._revision_at = revision, now
        self.reconcile()
        quiet = self.store.resource_version == revision
        self._settled = (
            revision if quiet and now - self._revision_at > self._timers() + 2 * interval else None
        )

    def start(self, interval: float = 0.2) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.tick(interval)
                except Exception:  # a controller bug must not kill the loop
                    log.exception("sandbox controllers failed")

        self._thread = threading.Thread(target=loop, name="fake-kube-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
