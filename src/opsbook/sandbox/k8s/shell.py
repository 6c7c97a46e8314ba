"""A small, deterministic stand-in for the programs in a sandbox container (there are none): what
`kubectl exec` and `kubectl run -it` reach. It knows `echo`, `hostname`, `env`, `pwd`, `true`, `false`,
`nslookup NAME` (a Service's ClusterIP from the store, through the cluster DNS search path) and `exit [N]`;
`bash`/`sh` read commands from stdin one line at a time. Anything else is
`bash: X: command not found` with status 127, as in a shell. No network: other names are NXDOMAIN.
Environment values come only from the container's literal `env` values (never from Secrets).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.store import ClusterStore

Obj = dict[str, Any]
SHELLS = ("bash", "sh", "zsh", "ash")
CLUSTER_DOMAIN = "cluster.local"


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
            "nslookup": self._nslookup,
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
        try:
            service = self.store.get("services", name, namespace)
        except errors.ApiError:
            return None
        return (service.get("spec") or {}).get("clusterIP")

    def _nslookup(self, args: list[str]) -> Result:
        if not args:
            return Result(stderr="usage: nslookup NAME\n", status=1)
        dns = self._cluster_ip("kube-dns", "kube-system") or "172.20.0.10"
        header = f"Server:\t\t{dns}\nAddress:\t{dns}#53\n\n"
        name = args[0].rstrip(".")
        namespace = self.pod["metadata"]["namespace"]
        parts = name.split(".")
        candidates = [(parts[0], namespace)] if len(parts) == 1 else []
        if len(parts) >= 2 and (
            len(parts) == 2 or parts[2:] in (["svc"], ["svc", *CLUSTER_DOMAIN.split(".")])
        ):
            candidates.append((parts[0], parts[1]))
        for service, ns in candidates:
            ip = self._cluster_ip(service, ns)
            if ip and ip != "None":
                fqdn = f"{service}.{ns}.svc.{CLUSTER_DOMAIN}"
                return Result(f"{header}Name:\t{fqdn}\nAddress: {ip}\n\n")
        return Result(f"{header}** server can't find {name}: NXDOMAIN\n\n", status=1)
