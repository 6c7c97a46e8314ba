"""`opsbook sandbox up` in a process of its own, and what CLI tests read from it: the opsbook command against
it, kubectl, the Kubernetes API's request counts, the store's journal. For tests whose changes cannot be
undone in the session sandbox (kill -9 of an apply, an EKS upgrade)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.cli.helpers import OPSBOOK, die_with_parent


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "sandbox.yaml"
        self.kubeconfig = root / "kubeconfig"
        self.db = root / "store.db"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSBOOK_"))}
        return base | {"NO_COLOR": "1", "COLUMNS": "200", "KUBECONFIG": str(self.kubeconfig)} | (extra or {})

    def opsbook(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*OPSBOOK, "--config", str(self.config), *args], cwd=self.root, text=True,
                              capture_output=True, timeout=180, env=self.env(env), stdin=subprocess.DEVNULL,
                              check=False)  # fmt: skip

    def apply_in_background(self, plan: Path, *, json_output: bool = False) -> subprocess.Popen[str]:
        fmt = ["-f", "json"] if json_output else []
        return subprocess.Popen([*OPSBOOK, "--config", str(self.config), "apply", str(plan), "--yes", *fmt],
                                cwd=self.root, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=self.env())  # fmt: skip

    def kubectl(self, *args: str) -> str:
        out = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=60, env=self.env(),
                             check=False)  # fmt: skip
        assert out.returncode == 0, f"kubectl {' '.join(args)}: {out.stderr}"
        return out.stdout

    def requests(self, method: str, path: str) -> int:
        """How many `method path` requests the sandbox's Kubernetes API answered with 2xx."""
        rows = json.loads(self.kubectl("get", "--raw", "/_sandbox/requests"))["requests"]
        return sum(
            r["count"] for r in rows if r["method"] == method and r["path"] == path and r["code"] < 300
        )

    def nodes(self, verb: str) -> None:
        for node in self.kubectl("get", "nodes", "-o", "name").split():
            self.kubectl(verb, node)

    def deployment(self, ns: str, name: str) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.kubectl("get", "deployment", name, "-n", ns, "-o", "json"))
        return doc

    def journal(self, plan_hash: str) -> dict[str, str]:
        with sqlite3.connect(self.db) as db:
            rows = db.execute("SELECT item_id, state FROM plan_journal WHERE plan_hash = ?", (plan_hash,))
            return dict(rows.fetchall())

    def plan(self, file: str, *args: str) -> tuple[Path, dict[str, Any]]:
        """`opsbook plan ARGS -o file`: the plan's path and content."""
        path = self.root / file
        out = self.opsbook("plan", *args, "-o", str(path), "-f", "json")
        assert out.returncode == 0, out.stderr
        return path, json.loads(path.read_text(encoding="utf-8"))


@contextmanager
def running_sandbox(root: Path, env: dict[str, str] | None = None) -> Iterator[Sandbox]:
    """`opsbook sandbox up` in `root` (its config, kubeconfig and store there) until the block ends; `env`
    adds variables to the sandbox's process (e.g. OPSBOOK_SANDBOX_<NAME>_SECONDS delays)."""
    sb = Sandbox(root)
    up = subprocess.Popen([*OPSBOOK, "sandbox", "up", "--config-out", str(sb.config), "--kubeconfig-out",
                           str(sb.kubeconfig), "--storage-url", f"sqlite:///{sb.db}"], cwd=sb.root,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          env=sb.env(env), preexec_fn=die_with_parent)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not (sb.config.exists() and sb.kubeconfig.exists()):
            if up.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox did not come up: {up.stderr.read() if up.stderr else ''}")
            time.sleep(0.3)
        yield sb
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=30)


def wait_for(what: str, ok: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
