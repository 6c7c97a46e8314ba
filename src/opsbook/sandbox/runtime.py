"""Start, seed and stop the whole sandbox, and write the opsbook.yaml that points at it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.server import AwsServer
from opsbook.sandbox.estate import ACCOUNTS, REGION

_ENV = {"AWS_ACCESS_KEY_ID": "opsbooksandbox", "AWS_SECRET_ACCESS_KEY": "opsbooksandbox"}


class Sandbox:
    """The embedded estate. Only one per process: moto keeps its state in process-wide backends."""

    def __init__(self) -> None:
        self.data = SandboxData()
        self.aws = AwsServer(self.data)
        self.aws_url: str | None = None

    def start(self, port: int = 0, *, seed: bool = True) -> Sandbox:
        for key, value in _ENV.items():
            os.environ.setdefault(key, value)
        self.aws_url = self.aws.start(port)
        reset_moto(self.aws_url)
        if seed:
            from opsbook.sandbox.aws.seed import seed as seed_aws

            seed_aws(self.aws_url, self.data)
        return self

    def stop(self) -> None:
        self.aws.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, storage_url: str | None = None) -> dict[str, Any]:
        """The opsbook.yaml content for this sandbox."""
        cfg: dict[str, Any] = {
            "aws": {
                "endpoint_url": self.aws_url,
                "sandbox_credentials": True,
                "default_regions": [REGION],
                "max_attempts": 3,
            },
            "accounts": [{"name": a.name, "id": a.id, "role_arn": a.role_arn} for a in ACCOUNTS],
        }
        if storage_url:
            cfg["storage"] = {"url": storage_url}
        return cfg

    def write_config(self, path: Path, storage_url: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "# opsbook.yaml for the built-in sandbox (valid while `opsbook sandbox up` runs)\n"
        path.write_text(header + yaml.safe_dump(self.config(storage_url), sort_keys=False), encoding="utf-8")
        return path


def reset_moto(url: str) -> None:
    """moto's own reset endpoint: forget every resource of every account (the server is in-process)."""
    import urllib.request

    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback sandbox URL
        resp.read()
