"""Will the cluster's pods still fit when nodes go away? (scale-in of a node group; later, a node group
replaced during an upgrade.)

A necessary condition, judged from the requests the scheduler itself uses: the CPU, memory and pod slots
the remaining Ready, schedulable nodes offer must cover what every running pod asks for (DaemonSet pods
only on the nodes that remain: theirs go with their node). Which nodes EKS removes is its choice, so the
nodes assumed gone are the largest of the group: if the pods fit then, they fit whatever it picks. Sums
ignore fragmentation, so passing this is no proof that every pod gets a place; failing it proves some
will not.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.collect.k8s.models import K8sNode, K8sPod


@dataclass(frozen=True)
class Fit:
    cpu_m: tuple[int, int]  # (requested, left after removal)
    memory: tuple[int, int]
    pods: tuple[int, int]
    removed: tuple[str, ...]

    @property
    def short(self) -> list[str]:
        """What does not fit, one phrase each (empty when everything does)."""
        out = []
        if self.cpu_m[0] > self.cpu_m[1]:
            out.append(f"CPU requests {self.cpu_m[0]}m > {self.cpu_m[1]}m left")
        if self.memory[0] > self.memory[1]:
            gib = 1024**3
            out.append(
                f"memory requests {self.memory[0] / gib:.1f} GiB > {self.memory[1] / gib:.1f} GiB left"
            )
        if self.pods[0] > self.pods[1]:
            out.append(f"{self.pods[0]} pods > {self.pods[1]} pod slots left")
        return out


def _daemon(pod: K8sPod) -> bool:
    return (pod.owner or "").startswith("DaemonSet/")


def fit_after_removing(nodes: list[K8sNode], pods: list[K8sPod], nodegroup: str, remove: int) -> Fit:
    """The requests of the pods that must keep running against what is left once `remove` nodes of
    `nodegroup` are gone (the largest first)."""
    group = sorted(
        (n for n in nodes if n.nodegroup == nodegroup),
        key=lambda n: (n.allocatable_cpu_m or 0, n.allocatable_memory or 0, n.name),
        reverse=True,
    )
    removed = {n.name for n in group[: max(remove, 0)]}
    left = [n for n in nodes if n.name not in removed and n.ready == "True" and not n.unschedulable]
    left_names = {n.name for n in left}
    running = [p for p in pods if p.node and not p.terminated and (not _daemon(p) or p.node in left_names)]
    cpu = sum(c.requests_cpu_m or 0 for p in running for c in p.containers)
    memory = sum(c.requests_memory or 0 for p in running for c in p.containers)
    return Fit(
        cpu_m=(cpu, sum(n.allocatable_cpu_m or 0 for n in left)),
        memory=(memory, sum(n.allocatable_memory or 0 for n in left)),
        pods=(len(running), sum(n.allocatable_pods or 0 for n in left)),
        removed=tuple(sorted(removed)),
    )
