"""Which target starts next: accounts interleaved, at most `per_account` targets of one AWS account at once.

AWS throttles per account and region (and some APIs per account), so a run that starts many targets at
once spreads them over accounts instead of opening every region of the first accounts together. A
Kubernetes cluster is its own group (its API server is its own limit).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from opsbook.core.models import Target, TargetKind


def group_of(target: Target) -> str:
    return f"aws:{target.account}" if target.kind is TargetKind.AWS and target.account else target.key


class TargetQueue:
    """Targets waiting to start, one FIFO per group, taken round-robin across groups."""

    def __init__(self, targets: Sequence[Target], *, per_account: int) -> None:
        if per_account < 1:
            raise ValueError(f"per_account must be >= 1, got {per_account}")
        self.per_account = per_account
        self._queues: dict[str, deque[Target]] = {}
        for t in targets:
            self._queues.setdefault(group_of(t), deque()).append(t)
        self._order: deque[str] = deque(self._queues)
        self._running: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def take(self) -> Target | None:
        """The next target whose group is under its bound (and mark it running), or None for now."""
        for _ in range(len(self._order)):
            group = self._order[0]
            self._order.rotate(-1)
            if self._running.get(group, 0) < self.per_account:
                queue = self._queues[group]
                target = queue.popleft()
                if not queue:
                    self._order.remove(group)
                self._running[group] = self._running.get(group, 0) + 1
                return target
        return None

    def done(self, target: Target) -> None:
        group = group_of(target)
        self._running[group] -= 1

    def running(self, target: Target) -> int:
        return self._running.get(group_of(target), 0)
