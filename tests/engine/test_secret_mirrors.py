"""Which deployments read a Secret: every way a pod template can mount it, and none that it does not."""

from __future__ import annotations

from typing import Any

import pytest

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


def test_a_mirror_or_deployment_deleted_since_the_plan_is_changed_not_an_error() -> None:
    from kubernetes.client.exceptions import ApiException

    from opsbook.engine.secret_mirrors import restart_step
    from opsbook.procedures.secret_mirror import recheck_mirror, recheck_restart

    class Gone:  # the cluster answers 404 for every object
        def get_json(self, path: str) -> dict[str, Any]:
            raise ApiException(status=404, reason="Not Found")

    ref = {"secret": "arn:secret", "version": "v2", "from_version": "v1"}
    mirror = ref | {"namespace": "production", "name": "app-db", "key": "password", "field": None}
    restart = restart_step(3, {"account": "prod"}, ref, ("my-cluster", "production", "app"),
                           [mirror | {"after": "002"}], (60.0, 1.0))  # fmt: skip
    item = restart.model_copy(update={"params": mirror})
    clients: Any = lambda _service: Gone()  # noqa: E731
    assert recheck_restart(restart, clients).state == "changed"
    assert "deployment production/app is gone" in recheck_restart(restart, clients).reason
    assert recheck_mirror(item, clients).state == "changed"
    assert "Secret production/app-db is gone" in recheck_mirror(item, clients).reason


def test_a_deployment_deleted_since_a_restart_plan_is_changed_not_a_failed_step() -> None:
    """restart-deployment's re-check (as the secret rotation's restart above): it raised the client's 404,
    and apply recorded the step failed with the whole HTTP response (exit 3)."""
    from kubernetes.client.exceptions import ApiException

    from opsbook.core.models import Resource
    from opsbook.procedures.k8s_restart import recheck_restart
    from opsbook.procedures.plan import PlanItem

    class Gone:
        def get_json(self, path: str) -> dict[str, Any]:
            assert path == "/apis/apps/v1/namespaces/production/deployments/app"
            raise ApiException(status=404, reason="Not Found")

    item = PlanItem(id="001", kind="k8s-restart", action="rollout-restart", cluster="my-cluster",
                    resource=Resource(id="production/app", type="Deployment", name="app"), reason="r",
                    params={"namespace": "production", "name": "app", "stamp": "2026-12-01T00:00:00Z",
                            "from_stamp": None})  # fmt: skip
    live = recheck_restart(item, lambda _service: Gone())
    assert (live.state, live.reason) == ("changed", "deployment production/app is gone")


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("k8s-deployment-scale", {"namespace": "production", "name": "app", "replicas": 5, "from": 3}),
        (
            "k8s-set-image",
            {
                "namespace": "production",
                "name": "app",
                "images": {"app": "api:2"},
                "from_images": {"app": "api:1"},
            },
        ),  # fmt: skip
    ],
)
def test_a_deployment_deleted_since_a_scale_or_rollout_plan_is_changed(
    kind: str, params: dict[str, Any]
) -> None:
    """scale-deployment's and rollout's re-checks read the deployment as restart-deployment's does: gone since
    the plan is `changed` (skipped), not the client's 404 failing the step."""
    from kubernetes.client.exceptions import ApiException

    from opsbook.core.models import Resource
    from opsbook.procedures import load_builtin
    from opsbook.procedures.kinds import KINDS
    from opsbook.procedures.plan import PlanItem

    class Gone:
        def get_json(self, path: str) -> dict[str, Any]:
            assert path == "/apis/apps/v1/namespaces/production/deployments/app"
            raise ApiException(status=404, reason="Not Found")

    load_builtin()
    item = PlanItem(id="001", kind=kind, action="x", cluster="my-cluster", reason="r", params=params,
                    resource=Resource(id="production/app", type="Deployment", name="app"))  # fmt: skip
    live = KINDS.get(kind).recheck(item, lambda _service: Gone())
    assert (live.state, live.reason) == ("changed", "deployment production/app is gone")
