"""`opsbook drill restore` as a user runs it, in its own process against the fake cluster: a clean drill
of one schedule prints its table and exits 0 with nothing left behind; Ctrl-C while a restore is in
progress still removes the drill's Restore."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.cli.helpers import OPSBOOK, die_with_parent, opsbook


def test_drill_in_a_process_and_interrupted(kube_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    server.controllers.velero.seconds = 0.1
    args = ("--config", str(config), "drill", "restore", "--cluster", "my-cluster", "--schedule", "daily-backup",
            "--poll-interval", "0.05")  # fmt: skip
    done = opsbook(*args, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "velero.drill_difference" in done.stdout and "time to restore" in done.stdout
    assert "cleaned up: Restore drill-" in done.stderr
    names = [n["metadata"]["name"] for n in server.store.list("namespaces")]
    assert not [n for n in names if "-drill-" in n]

    server.controllers.velero.seconds = 60  # the restore stays InProgress until interrupted
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"}
    proc = subprocess.Popen([*OPSBOOK, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)  # fmt: skip
    deadline = time.monotonic() + 120
    while not [
        r for r in server.store.list("restores.velero.io") if r["metadata"]["name"].startswith("drill-")
    ]:
        assert time.monotonic() < deadline and proc.poll() is None, "the drill's Restore never appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode not in (0, 1), err  # interrupted, not a verdict
    assert "cleaned up: Restore drill-" in err
    assert not [
        r for r in server.store.list("restores.velero.io") if r["metadata"]["name"].startswith("drill-")
    ]
