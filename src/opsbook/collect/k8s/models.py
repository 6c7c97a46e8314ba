"""Typed, frozen views of the Kubernetes objects the daily checks read (only the fields they use).

CPU is in millicores, memory in bytes; timestamps are timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import Field

from opsbook.core.models import Compact as Frozen  # frozen, compact (see Compact)

PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
# container waiting reasons that mean the pod is not healthy even while its phase says Running
BAD_WAITING = (
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
)


class Condition(Frozen):
    type: str
    status: str
    reason: str = ""
    message: str = ""
    since: datetime | None = None  # lastTransitionTime


class K8sNode(Frozen):
    name: str
    ready: str = "Unknown"  # the Ready condition's status: True / False / Unknown
    conditions: tuple[Condition, ...] = ()
    unschedulable: bool = False
    taints: tuple[str, ...] = ()
    allocatable_cpu_m: int | None = None
    allocatable_memory: int | None = None
    allocatable_pods: int | None = None  # status.allocatable.pods (the kubelet's max pods)
    nodegroup: str | None = None
    instance_type: str | None = None
    kubelet_version: str | None = None
    created: datetime | None = None

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    @property
    def pressures(self) -> list[Condition]:
        return [c for c in self.conditions if c.type in PRESSURE_CONDITIONS and c.status == "True"]

    @property
    def problems(self) -> list[str]:
        out = []
        if self.ready != "True":
            ready = self.condition("Ready")
            out.append(f"Ready={self.ready}" + (f" ({ready.reason})" if ready and ready.reason else ""))
        out += [c.type for c in self.pressures]
        if self.unschedulable:
            out.append("SchedulingDisabled")
        return out


class K8sContainer(Frozen):
    name: str
    image: str = ""
    requests_cpu_m: int | None = None
    requests_memory: int | None = None
    limits_cpu_m: int | None = None
    limits_memory: int | None = None
    ready: bool = False
    restart_count: int = 0
    state: str = "unknown"  # running | waiting | terminated | unknown
    reason: str | None = None  # waiting/terminated reason
    message: str | None = None
    last_reason: str | None = None  # lastState.terminated.reason (OOMKilled, Error ...)
    last_exit_code: int | None = None
    last_finished_at: datetime | None = None

    def restarting(self, now: datetime, max_restarts: int, window: timedelta) -> bool:
        """More than `max_restarts` restarts and the last one within `window` (or its time unknown):
        Kubernetes keeps only the total count and the last termination."""
        recent = self.last_finished_at is None or now - self.last_finished_at <= window
        return self.restart_count > max_restarts and recent

    @property
    def restart_summary(self) -> str:
        """`app restarted 27 times (last: OOMKilled, exit 137)`."""
        exit_code = f", exit {self.last_exit_code}" if self.last_exit_code is not None else ""
        return f"{self.name} restarted {self.restart_count} times (last: {self.last_reason or 'unknown'}{exit_code})"


class K8sPod(Frozen):
    namespace: str
    name: str
    phase: str = "Unknown"
    node: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    owner: str | None = None  # Kind/name of the controller
    created: datetime | None = None
    reason: str | None = None  # status.reason (Evicted ...)
    message: str | None = None
    unschedulable: str | None = None  # PodScheduled=False message
    containers: tuple[K8sContainer, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def terminated(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    @property
    def status(self) -> str:
        """What `kubectl get pods` shows in STATUS."""
        if self.reason:
            return self.reason
        for c in self.containers:
            if c.state == "waiting" and c.reason:
                return c.reason
        if self.phase not in ("Succeeded",):
            for c in self.containers:
                if c.state == "terminated" and c.reason:
                    return c.reason
        return self.phase

    @property
    def healthy(self) -> bool:
        if self.phase == "Succeeded":
            return True
        if self.phase != "Running" or self.reason:
            return False
        return not any(c.state == "waiting" and c.reason in BAD_WAITING for c in self.containers)

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)

    @property
    def why(self) -> str:
        """Why it is not running: unschedulable, else a waiting container's message, else the pod's."""
        waiting = next((c.message for c in self.containers if c.state == "waiting" and c.message), None)
        return self.unschedulable or waiting or self.message or ""

    @property
    def ready(self) -> str:
        """`kubectl get pods`' READY column: ready containers / containers."""
        return f"{sum(c.ready for c in self.containers)}/{len(self.containers)}"

    def restarting(self, now: datetime, max_restarts: int, window: timedelta) -> list[K8sContainer]:
        """The containers restarting too often (k8s.container_restarts and `opsbook k8s unhealthy`)."""
        return [c for c in self.containers if c.restarting(now, max_restarts, window)]


class K8sDeployment(Frozen):
    namespace: str
    name: str
    replicas: int = 0  # desired (spec)
    ready: int = 0
    available: int = 0
    updated: int = 0
    unavailable: int = 0
    revision: str | None = None
    images: tuple[str, ...] = ()
    created: datetime | None = None
    rolled_out_at: datetime | None = None  # newest of: current ReplicaSet created, restartedAt, Progressing
    conditions: tuple[Condition, ...] = ()
    generation: int | None = None  # metadata.generation: the spec's version
    observed_generation: int | None = None  # status.observedGeneration: the version the controller acted on

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    @property
    def rollout_stuck(self) -> bool:
        """The controller gave up waiting: Progressing=False, reason ProgressDeadlineExceeded."""
        progressing = self.condition("Progressing")
        return (
            progressing is not None
            and progressing.status == "False"
            and (progressing.reason == "ProgressDeadlineExceeded")
        )

    @property
    def rollout_in_progress(self) -> bool:
        """The controller has not yet acted on the newest spec, or not every replica runs it yet."""
        unobserved = (
            self.generation is not None
            and self.observed_generation is not None
            and self.observed_generation < self.generation
        )
        return unobserved or self.updated < self.replicas

    @property
    def rollout(self) -> str:
        """stuck | in progress | complete (k8s.deployment_rollout_stuck and `opsbook k8s unhealthy`)."""
        if self.rollout_stuck:
            return "stuck"
        return "in progress" if self.rollout_in_progress else "complete"

    @property
    def degraded(self) -> bool:
        """Wants replicas and some are unavailable (the daily check and `opsbook k8s unhealthy` agree)."""
        return bool(self.replicas) and (bool(self.unavailable) or self.available < self.replicas)


class K8sHpa(Frozen):
    namespace: str
    name: str
    target: str = ""  # Kind/name
    min_replicas: int = 1
    max_replicas: int = 1
    current: int = 0
    desired: int = 0
    conditions: tuple[Condition, ...] = ()
    current_metrics: tuple[str, ...] = ()  # e.g. "cpu 95%"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


class NodeUsage(Frozen):
    name: str
    cpu_m: int = 0
    memory: int = 0
    timestamp: datetime | None = None


class NodeLoad(Frozen):
    """One node's use against its allocatable; `usage` is None when metrics-server has none for it (a
    NotReady node): `kubectl top nodes` shows such a node as `<unknown>`."""

    node: K8sNode
    usage: NodeUsage | None = None

    @property
    def cpu_percent(self) -> float | None:
        return percent(self.usage.cpu_m if self.usage else None, self.node.allocatable_cpu_m)

    @property
    def memory_percent(self) -> float | None:
        return percent(self.usage.memory if self.usage else None, self.node.allocatable_memory)


def percent(used: int | None, total: int | None) -> float | None:
    """`used` as a percentage of `total` (one decimal); None when either is unknown."""
    return None if used is None or not total else round(100.0 * used / total, 1)


def node_loads(nodes: Iterable[K8sNode], usage: Iterable[NodeUsage]) -> list[NodeLoad]:
    """Every node with its metrics, if any (k8s.node_usage_high and `opsbook k8s top nodes`)."""
    by_name = {u.name: u for u in usage}
    return [NodeLoad(node=n, usage=by_name.get(n.name)) for n in nodes]


class PodUsage(Frozen):
    namespace: str
    name: str
    cpu_m: int = 0
    memory: int = 0

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class LogTail(Frozen):
    namespace: str
    pod: str
    container: str
    lines: tuple[str, ...] = ()
    error: str | None = None  # why it could not be read (pod not started ...)


class SelectorLogs(Frozen):
    selector: str
    matched_pods: int = 0
    tails: tuple[LogTail, ...] = ()
    truncated: bool = False  # more pods matched than were read


class VeleroBackup(Frozen):
    name: str
    schedule: str | None = None  # the velero.io/schedule-name label
    phase: str = "Unknown"  # New, InProgress, Completed, PartiallyFailed, Failed ...
    created: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    errors: int = 0
    warnings: int = 0
    failure_reason: str | None = None

    @property
    def when(self) -> datetime | None:
        """The backup's moment: completion, else start, else creation."""
        return self.completed or self.started or self.created


class VeleroSchedule(Frozen):
    name: str
    cron: str = ""
    paused: bool = False
    phase: str = ""
    last_backup: datetime | None = None


class VeleroState(Frozen):
    """Velero's Backups and Schedules in its namespace; `installed` is False when the API is absent."""

    namespace: str = "velero"
    installed: bool = True
    schedules: tuple[VeleroSchedule, ...] = ()
    backups: tuple[VeleroBackup, ...] = ()
