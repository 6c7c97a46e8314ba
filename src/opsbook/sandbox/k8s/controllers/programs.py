"""Run-to-completion pods of a debugging image (`PROGRAM_IMAGES`, nicolaka/netshoot): a sandbox container
runs nothing, so once the kubelet has started such a pod (restartPolicy Never, no stdin: not `kubectl run
-it`, which attaches a shell instead), each container's command + args run in the fake shell (`shell.py`,
the probes of `netprobes.py`), its output becomes the container's log and its status the exit code; the
pod ends Succeeded when every container exited 0, else Failed. Other images' pods run for ever, as before.
"""

from __future__ import annotations

from opsbook.sandbox.k8s.controllers.common import Obj, held, meta, now_stamp
from opsbook.sandbox.k8s.shell import FakeShell
from opsbook.sandbox.k8s.store import ClusterStore

PROGRAM_IMAGES = ("nicolaka/netshoot",)  # the repositories whose pods run their command here


def repository(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name.removeprefix("docker.io/")


def runs_program(pod: Obj, images: tuple[str, ...]) -> bool:
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    status = pod.get("status") or {}
    running = [s for s in status.get("containerStatuses") or [] if "running" in (s.get("state") or {})]
    return (
        bool(containers)
        and spec.get("restartPolicy") == "Never"
        and not held(pod)
        and status.get("phase") == "Running"
        and len(running) == len(containers)
        and all(repository(c.get("image", "")) in images and not c.get("stdin") for c in containers)
    )


class Programs:
    def __init__(self, images: tuple[str, ...] = PROGRAM_IMAGES) -> None:
        self.images = images

    def reconcile(self, store: ClusterStore) -> bool:
        changed = False
        for pod in store.list("pods"):
            if runs_program(pod, self.images):
                store.replace(
                    "pods", meta(pod)["name"], self._run(store, pod), meta(pod)["namespace"], "status"
                )
                changed = True
        return changed

    @staticmethod
    def _run(store: ClusterStore, pod: Obj) -> Obj:
        ns, name, stamp = meta(pod)["namespace"], meta(pod)["name"], now_stamp()
        codes: dict[str, int] = {}
        for c in pod["spec"]["containers"]:
            argv = [*(c.get("command") or []), *(c.get("args") or [])] or ["true"]
            result = FakeShell(store, pod, c["name"]).run([str(a) for a in argv])
            store.set_logs(ns, name, c["name"], (result.stdout + result.stderr).splitlines())
            codes[c["name"]] = result.status
        status = pod["status"]
        for entry in status.get("containerStatuses") or []:
            code = codes.get(entry["name"], 0)
            started = ((entry.get("state") or {}).get("running") or {}).get("startedAt", stamp)
            entry.update(ready=False, started=False, state={"terminated": {
                "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                "startedAt": started, "finishedAt": stamp}})  # fmt: skip
        status["phase"] = "Succeeded" if not any(codes.values()) else "Failed"
        for condition in status.get("conditions") or []:
            if condition.get("type") in ("Ready", "ContainersReady"):
                condition.update(status="False", reason="PodCompleted", lastTransitionTime=stamp)
        return pod
