"""Kubelet: start the containers of pods the scheduler bound (`ContainerCreating`), `start_seconds` after
binding. A pod becomes Running and Ready with a pod IP, unless an image is bad (a tag containing `bad` or
`broken`): then it stays Pending in `ImagePullBackOff`, never Ready. Seeded pods (already running,
crash-looping or held with `sandbox.opsbook.io/hold`) are never touched; no node's kubelet heals anything.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

from opsbook.sandbox.k8s.controllers.common import Obj, bad_image, held, meta, now_stamp
from opsbook.sandbox.k8s.errors import ApiError
from opsbook.sandbox.k8s.store import ClusterStore


def creating(pod: Obj) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and all(
        ((s.get("state") or {}).get("waiting") or {}).get("reason") == "ContainerCreating" for s in statuses
    )


class Kubelet:
    def __init__(self, start_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.start_seconds = start_seconds
        self.clock = clock
        self._seen: dict[str, float] = {}  # pod uid -> when the kubelet first saw it bound

    def reconcile(self, store: ClusterStore) -> bool:
        changed = False
        live: set[str] = set()
        for pod in store.list("pods"):
            if not (pod.get("spec") or {}).get("nodeName") or held(pod) or not creating(pod):
                continue
            uid = meta(pod)["uid"]
            live.add(uid)
            first = self._seen.setdefault(uid, self.clock())
            if self.clock() - first < self.start_seconds:
                continue
            store.replace("pods", meta(pod)["name"], self._started(pod), meta(pod)["namespace"], "status")
            changed = True
        self._seen = {uid: t for uid, t in self._seen.items() if uid in live}
        return changed

    @staticmethod
    def _started(pod: Obj) -> Obj:
        status = pod.setdefault("status", {})
        containers = pod["spec"].get("containers") or []
        broken = [c for c in containers if bad_image(c.get("image", ""))]
        stamp = now_stamp()
        statuses = []
        for c in containers:
            image = c.get("image", "")
            if c in broken:
                state = {"waiting": {"reason": "ImagePullBackOff",
                                     "message": f'Back-off pulling image "{image}"'}}  # fmt: skip
            else:
                state = {"running": {"startedAt": stamp}}
            statuses.append({"name": c["name"], "image": image, "ready": c not in broken,
                             "started": c not in broken, "restartCount": 0, "state": state,
                             "imageID": "" if c in broken else f"{image.split(':')[0]}@sha256:{'cd' * 32}",
                             "containerID": "" if c in broken else
                             f"containerd://{zlib.crc32((meta(pod)['uid'] + c['name']).encode()):064x}"})  # fmt: skip
        ready = "False" if broken else "True"
        status["containerStatuses"] = statuses
        status["phase"] = "Pending" if broken else "Running"
        kept = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
        status["conditions"] = kept + [
            {"type": kind, "status": "True" if kind == "Initialized" else ready, "lastTransitionTime": stamp}
            for kind in ("Initialized", "Ready", "ContainersReady")
        ]
        ip = zlib.crc32(meta(pod)["uid"].encode())
        status["podIP"] = f"10.0.{100 + ip % 100}.{1 + (ip >> 8) % 250}"
        status["podIPs"] = [{"ip": status["podIP"]}]
        node = pod["spec"]["nodeName"]
        octets = node.split(".")[0].split("-")[1:]
        if len(octets) == 4 and all(o.isdigit() for o in octets):
            status["hostIP"] = ".".join(octets)
        return pod


def container_exited(store: ClusterStore, pod: Obj, container: str, code: int) -> None:
    """The container's main process ended with `code` (an attached shell exited): by the pod's restart
    policy it restarts (restartCount + 1) or the pod ends Succeeded/Failed. A pod gone meanwhile is left."""
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    try:
        current = store.get("pods", meta(pod)["name"], meta(pod)["namespace"])
    except ApiError:
        return
    status = current.setdefault("status", {})
    stamp = now_stamp()
    ended = {"exitCode": code, "reason": "Completed" if code == 0 else "Error", "finishedAt": stamp}
    restart = policy == "Always" or (policy == "OnFailure" and code != 0)
    for entry in status.get("containerStatuses") or []:
        if entry.get("name") != container:
            continue
        started = ((entry.get("state") or {}).get("running") or {}).get("startedAt", stamp)
        if restart:
            entry.update(restartCount=int(entry.get("restartCount", 0)) + 1,
                         lastState={"terminated": {**ended, "startedAt": started}},
                         state={"running": {"startedAt": stamp}})  # fmt: skip
        else:
            entry.update(ready=False, started=False, state={"terminated": {**ended, "startedAt": started}})
    if not restart:
        status["phase"] = "Succeeded" if code == 0 else "Failed"
        for condition in status.get("conditions") or []:
            if condition.get("type") in ("Ready", "ContainersReady"):
                condition.update(status="False", reason="PodCompleted", lastTransitionTime=stamp)
    store.replace("pods", meta(pod)["name"], current, meta(pod)["namespace"], "status")
