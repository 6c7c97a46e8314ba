"""Which target starts next: account by account, at most `per_account` targets of one AWS account at once.

AWS throttles per account and region (and some APIs per account), so no account has more than
`per_account` targets in flight; the run's other slots go to the next accounts. Accounts are taken in
order (account-major), not round-robin: an account is finished before later ones start wherever the
bound allows, so only the accounts in flight hold their sessions, credentials and account-wide inventory
(round-robin kept every account of a 200-account run alive until its last region came round). A
Kubernetes cluster is its own group (its API server is its own limit).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from opsbook.core.models import Target, TargetKind


def group_of(target: Target) -> str:
    return f"aws:{target.account}" if target.kind is TargetKind.AWS and target.account else target.key


class TargetQueue:
    """Targets waiting to start, one FIFO per group; the first group (in the order given) under its bound
    starts next."""

    def __init__(self, targets: Sequence[Target], *, per_account: int) -> None:
        if per_account < 1:
            raise ValueError(f"per_account must be >= 1, got {per_account}")
        self.per_account = per_account
        self._queues: dict[str, deque[Target]] = {}
        for t in targets:
            self._queues.setdefault(group_of(t), deque()).append(t)
        self._running: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def take(self) -> Target | None:
        """The next target whose group is under its bound (and mark it running), or None for now."""
        for group, queue in self._queues.items():
            if self._running.get(group, 0) < self.per_account:
                target = queue.popleft()
                if not queue:
                    del self._queues[group]
                self._running[group] = self._running.get(group, 0) + 1
                return target
        return None

    def done(self, target: Target) -> bool:
        """Mark `target` finished; True when it was its group's last (nothing of the group waits or runs:
        what the group's targets shared can go)."""
        group = group_of(target)
        self._running[group] -= 1
        if self._running[group] or group in self._queues:
            return False
        del self._running[group]
        return True

    def running(self, target: Target) -> int:
        return self._running.get(group_of(target), 0)
