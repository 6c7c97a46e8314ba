"""Shared by the secret rotation tests: a secret of prod's (random values, so a leak is found by grep), a
namespace of the session sandbox's cluster whose Secret mirrors it and whose deployments mount it in each
way a pod can, and an opsbook.yaml with that mirror. Everything is removed afterwards (moto is global)."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import account

NS = "rotation"
SECRET = "test/rotation-db"
MIRROR = "app-db"


@dataclass
class Estate:
    sm: Any  # prod's Secrets Manager client
    store: Any  # the fake cluster's store
    config: Path
    arn: str
    password: str  # the value before the rotation

    def value(self, stage: str = "AWSCURRENT") -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(
            self.sm.get_secret_value(SecretId=SECRET, VersionStage=stage)["SecretString"]
        )
        return doc

    def stages(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = self.sm.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
        return found

    def mirrored(self) -> str:
        return base64.b64decode(self.store.get("secrets", MIRROR, NS)["data"]["password"]).decode()

    def pods(self, app: str) -> dict[str, dict[str, Any]]:
        return {
            p["metadata"]["name"]: p
            for p in self.store.list("pods", NS)
            if p["metadata"]["labels"].get("app") == app
        }


def deployment(name: str, container: dict[str, Any] | None = None, **pod_spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    spec = {
        "containers": [{"name": "app", "image": f"mycompany/{name}:1.0", **(container or {})}],
        **pod_spec,
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}  # fmt: skip


def consumers() -> list[dict[str, Any]]:
    """api reads the Secret through env secretKeyRef, worker through a volume; other does not read it
    (envFrom and projected volumes: tests/engine/test_secret_mirrors.py)."""
    env = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": MIRROR, "key": "password"}}}]
    return [
        deployment("api", {"env": env}),
        deployment("worker", volumes=[{"name": "db", "secret": {"secretName": MIRROR}}]),
        deployment("other"),
    ]


def ready(store: Any, apps: tuple[str, ...], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = [p for p in store.list("pods", NS) if p["metadata"]["labels"].get("app") in apps]
        ok = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in (p.get("status") or {}).get("conditions") or [])]  # fmt: skip
        if len(ok) == 2 * len(apps) == len(pods):
            return
        time.sleep(0.1)
    raise AssertionError(f"pods of {apps} not Ready in {timeout} s")


def rotation_estate(sandbox: Any, tmp_path: Path) -> Iterator[Estate]:
    """(For a fixture) the secret, the namespace with its mirror and consumers, the config; removed after."""
    sm = clients_for(sandbox.aws_url, account("prod"))("secretsmanager")
    password = secrets.token_urlsafe(24)
    arn = sm.create_secret(Name=SECRET, SecretString=json.dumps({"username": "app", "password": password}))[
        "ARN"
    ]
    store = sandbox.kube.store
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    data = {"password": base64.b64encode(password.encode()).decode()}
    store.create({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": MIRROR, "namespace": NS},
                  "data": data})  # fmt: skip
    for dep in consumers():
        store.create(dep)
    cfg = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    cfg["secrets"] = {"mirrors": [{"secret": SECRET, "cluster": "my-cluster", "namespace": NS, "name": MIRROR,
                                   "key": "password", "field": "password"}]}  # fmt: skip
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    try:
        ready(store, ("api", "worker", "other"))
        yield Estate(sm, store, config, arn, password)
    finally:
        store.delete("namespaces", NS)
        sm.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
