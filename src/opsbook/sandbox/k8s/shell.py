"""A small, deterministic stand-in for the programs in a sandbox container (there are none): what
`kubectl exec` and `kubectl run -it` reach. It knows `echo`, `hostname`, `env`, `pwd`, `true`, `false`,
`nslookup NAME`, `curl URL` and `traceroute HOST` (answered from the cluster's Services, netprobes.py) and `exit [N]`;
`bash`/`sh` read commands from stdin one line at a time. Anything else is
`bash: X: command not found` with status 127, as in a shell. No network: other names are NXDOMAIN.
Environment values come only from the container's literal `env` values (never from Secrets).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsbook.sandbox.k8s import netprobes
from opsbook.sandbox.k8s.store import ClusterStore

Obj = dict[str, Any]
SHELLS = ("bash", "sh", "zsh", "ash")


@dataclass
class Result:
    stdout: str = ""
    stderr: str = ""
    status: int = 0
    exited: bool = False  # `exit`: the shell ends


@dataclass
class FakeShell:
    store: ClusterStore
    pod: Obj
    container: str
    name: str = "bash"
    status: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = next(c for c in self.pod["spec"]["containers"] if c["name"] == self.container)
        meta = self.pod["metadata"]
        self.env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOSTNAME": meta["name"],
            "HOME": "/root",
            "KUBERNETES_SERVICE_HOST": self._cluster_ip("kubernetes", "default") or "172.20.0.1",
            "KUBERNETES_SERVICE_PORT": "443",
            **{e["name"]: str(e["value"]) for e in spec.get("env") or [] if "value" in e},
        }

    def run(self, argv: list[str]) -> Result:
        """Run one command (already split into words)."""
        if not argv:
            return Result(status=self.status)
        program, args = argv[0].rsplit("/", 1)[-1], argv[1:]
        handler: Callable[[list[str]], Result] | None = {
            "echo": lambda a: Result(" ".join(a) + "\n"),
            "hostname": lambda a: Result(self.pod["metadata"]["name"] + "\n"),
            "env": lambda a: Result("".join(f"{k}={v}\n" for k, v in self.env.items())),
            "pwd": lambda a: Result("/root\n"),
            "true": lambda a: Result(),
            "false": lambda a: Result(status=1),
            "nslookup": self._probe(netprobes.nslookup),
            "curl": self._probe(netprobes.curl),
            "traceroute": self._probe(netprobes.traceroute),
            "exit": self._exit,
        }.get(program)
        if handler is None:
            result = Result(stderr=f"{self.name}: {argv[0]}: command not found\n", status=127)
        else:
            result = handler(args)
        self.status = result.status
        return result

    def line(self, text: str) -> Result:
        """Run one line a shell read from stdin."""
        try:
            words = shlex.split(text, comments=True)
        except ValueError:
            return Result(stderr=f"{self.name}: syntax error: unexpected end of file\n", status=2)
        return self.run(words)

    def _exit(self, args: list[str]) -> Result:
        code = int(args[0]) % 256 if args and args[0].isdigit() else self.status
        return Result(status=code, exited=True)

    def _cluster_ip(self, name: str, namespace: str) -> str | None:
        svc = netprobes.service(self.store, name, namespace)
        return ((svc or {}).get("spec") or {}).get("clusterIP")

    def _probe(
        self, probe: Callable[[ClusterStore, str, list[str]], tuple[str, int]]
    ) -> Callable[[list[str]], Result]:
        def run(args: list[str]) -> Result:
            text, status = probe(self.store, self.pod["metadata"]["namespace"], args)
            return (
                Result(text, status=status)
                if status == 0 or probe is netprobes.nslookup
                else Result(stderr=text, status=status)
            )

        return run
