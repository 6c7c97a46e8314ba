"""Which deployments read a Secret: every way a pod template can mount it, and none that it does not."""

from __future__ import annotations

from typing import Any

from opsbook.engine.secret_mirrors import mounts


def template(**spec: Any) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app"}], **spec}}}}


def test_every_way_a_pod_reads_a_secret_counts() -> None:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    ways = {
        "volume": template(volumes=[{"name": "v", "secret": {"secretName": "db"}}]),
        "projected": template(
            volumes=[{"name": "v", "projected": {"sources": [{"secret": {"name": "db"}}]}}]
        ),
        "env": template(containers=[{"name": "app", "env": env}]),
        "envFrom": template(containers=[{"name": "app", "envFrom": [{"secretRef": {"name": "db"}}]}]),
        "init": template(initContainers=[{"name": "init", "env": env}]),
    }
    assert {way for way, dep in ways.items() if mounts(dep, "db")} == set(ways)
    assert not any(mounts(dep, "other") for dep in ways.values())


def test_config_maps_and_plain_env_do_not_count() -> None:
    dep = template(
        volumes=[{"name": "v", "configMap": {"name": "db"}}, {"name": "e", "emptyDir": {}}],
        containers=[{"name": "app", "env": [{"name": "db", "value": "db"}],
                     "envFrom": [{"configMapRef": {"name": "db"}}]}],
    )  # fmt: skip
    assert not mounts(dep, "db") and not mounts({}, "db")
