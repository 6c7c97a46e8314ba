"""The official kubernetes client against the fake API server over real HTTPS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from opsbook.sandbox.k8s import FakeKubeServer

TOKEN = "sandbox-test-token"  # as in conftest.py


def raw(api: client.ApiClient, path: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    response = api.call_api("GET", api.configuration.host + path, header_params=headers)
    response.read()
    return json.loads(response.data)


def test_lists_carry_kind_api_version_and_resource_version(api_client: client.ApiClient) -> None:
    nodes = raw(api_client, "/api/v1/nodes")
    assert nodes["kind"] == "NodeList" and nodes["apiVersion"] == "v1"
    assert int(nodes["metadata"]["resourceVersion"]) > 0
    deployments = raw(api_client, "/apis/apps/v1/deployments")
    assert deployments["kind"] == "DeploymentList" and deployments["apiVersion"] == "apps/v1"


def test_typed_lists_deserialize(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    nodes = core.list_node().items
    assert len(nodes) >= 5
    ready = {n.metadata.name: next(c.status for c in n.status.conditions if c.type == "Ready") for n in nodes}
    assert list(ready.values()).count("Unknown") == 1
    pods = core.list_pod_for_all_namespaces().items
    restarts = {
        p.metadata.name: sum(s.restart_count for s in p.status.container_statuses or []) for p in pods
    }
    assert restarts["payments-5f7b9c8d4-m4pz8"] == 27
    assert {p.metadata.namespace for p in pods} == {"default", "kube-system", "production", "velero"}
    assert all(p.metadata.uid and p.metadata.creation_timestamp for p in pods)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=myapp", 3),
        ("app==myapp", 3),
        ("app in (myapp, my-app)", 7),
        ("app notin (myapp,my-app),job-name", 1),
        ("job-name", 1),
        ("!job-name,app!=payments", 8),
    ],
)
def test_label_selectors(api_client: client.ApiClient, selector: str, expected: int) -> None:
    pods = client.CoreV1Api(api_client).list_namespaced_pod("production", label_selector=selector).items
    assert len(pods) == expected


def test_field_selectors(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    pending = core.list_pod_for_all_namespaces(field_selector="status.phase=Pending").items
    assert [p.metadata.name for p in pending] == ["worker-59d6f7c8b-zt5lq"]
    on_node = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=ip-10-0-2-24.ec2.internal").items
    assert len(on_node) == 6  # 4 workload pods + the aws-node and kube-proxy DaemonSet pods
    outside = core.list_pod_for_all_namespaces(field_selector="metadata.namespace!=production").items
    assert {p.metadata.namespace for p in outside} == {"default", "kube-system", "velero"}
    one = core.list_namespaced_pod("production", field_selector="metadata.name=payments-5f7b9c8d4-c7xkq")
    assert len(one.items) == 1
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces(field_selector="spec.bogus=1")
    assert err.value.status == 400


def test_limit_and_continue_page_through_everything(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    everything = [p.metadata.name for p in core.list_pod_for_all_namespaces().items]
    seen, token = [], None
    while True:
        page = core.list_pod_for_all_namespaces(limit=5, _continue=token)
        assert len(page.items) <= 5
        seen += [p.metadata.name for p in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert seen == everything


def test_scale_subresource(
    api_client: client.ApiClient, settle: Callable[[Callable[[], bool]], None]
) -> None:
    apps = client.AppsV1Api(api_client)
    scale = apps.read_namespaced_deployment_scale("my-app", "production")
    assert scale.spec.replicas == 4 and scale.status.selector == "app=my-app"
    scaled = apps.patch_namespaced_deployment_scale("my-app", "production", {"spec": {"replicas": 6}})
    assert scaled.spec.replicas == 6
    # my-app's HPA (2..4) owns the count and undoes the manual scale, as on a real cluster
    assert apps.read_namespaced_deployment("my-app", "production").spec.replicas == 4
    hpa = client.AutoscalingV2Api(api_client).read_namespaced_horizontal_pod_autoscaler(
        "my-app", "production"
    )
    assert hpa.status.last_scale_time is not None
    body = apps.read_namespaced_deployment_scale("payments", "production")
    body.spec.replicas = 5
    apps.replace_namespaced_deployment_scale("payments", "production", body)
    assert apps.read_namespaced_deployment("payments", "production").spec.replicas == 5
    # two new pods start; the two seeded broken ones stay broken: 3 of 5 available
    settle(lambda: apps.read_namespaced_deployment("payments", "production").status.unavailable_replicas == 2)


def test_pod_logs(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    tail = core.read_namespaced_pod_log("myapp-6d4cf56db6-2xkqp", "production", tail_lines=5)
    assert len(tail.splitlines()) == 5
    full = core.read_namespaced_pod_log("myapp-6d4cf56db6-2xkqp", "production", container="app")
    assert "ERROR" in full and "timeout" in full and "Exception" in full
    healthy = core.read_namespaced_pod_log("my-app-7c9d8f6b5-4kd2m", "production")
    assert "ERROR" not in healthy
    previous = core.read_namespaced_pod_log("payments-5f7b9c8d4-c7xkq", "production", previous=True)
    assert "SocketTimeoutException" in previous
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("myapp-6d4cf56db6-2xkqp", "production", container="nope")
    assert err.value.status == 400


def test_metrics_through_custom_objects(api_client: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api_client)
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["kind"] == "NodeMetricsList" and len(nodes["items"]) == 5
    busy = custom.get_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", "ip-10-0-2-24.ec2.internal")
    assert busy["usage"]["cpu"] == "1780m"
    pods = custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "production", "pods")
    assert pods["kind"] == "PodMetricsList" and pods["items"] and all(p["containers"] for p in pods["items"])


def test_velero_custom_resources(api_client: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api_client)
    backups = custom.list_namespaced_custom_object("velero.io", "v1", "velero", "backups")
    phases = sorted(b["status"]["phase"] for b in backups["items"])
    assert phases == ["Completed", "Completed", "Completed", "Failed", "PartiallyFailed"]
    schedules = custom.list_namespaced_custom_object("velero.io", "v1", "velero", "schedules")
    assert {s["metadata"]["name"] for s in schedules["items"]} == {"daily-backup", "weekly-full"}
    restore = {"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": "drill"},
               "spec": {"backupName": backups["items"][0]["metadata"]["name"]}}  # fmt: skip
    created = custom.create_namespaced_custom_object("velero.io", "v1", "velero", "restores", restore)
    assert created["metadata"]["namespace"] == "velero" and created["metadata"]["uid"]
    patched = custom.patch_namespaced_custom_object(
        "velero.io", "v1", "velero", "restores", "drill", {"status": {"phase": "Completed"}}
    )
    assert patched["status"]["phase"] == "Completed"


def test_hpa_and_rbac_kinds(api_client: client.ApiClient) -> None:
    hpas = client.AutoscalingV2Api(api_client).list_horizontal_pod_autoscaler_for_all_namespaces().items
    pinned = [h.metadata.name for h in hpas if h.status.current_replicas >= h.spec.max_replicas]
    assert pinned == ["my-app"]
    blind = [h.metadata.name for h in hpas if any(c.type == "ScalingActive" and c.status == "False"
                                                 for c in h.status.conditions)]  # fmt: skip
    assert blind == ["payments"]
    bindings = client.RbacAuthorizationV1Api(api_client).list_cluster_role_binding().items
    admins = [b.metadata.name for b in bindings if b.role_ref.name == "cluster-admin"]
    assert "jane-cluster-admin" in admins and "cluster-admin" in admins


def test_patch_flavours(api_client: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    before = apps.read_namespaced_deployment("myapp", "production")
    # A dict body is sent as a strategic merge patch: containers merge by name.
    image_patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "mycompany/myapp:1.9.0"}]}}}
    }
    after = apps.patch_namespaced_deployment("myapp", "production", image_patch)
    container = after.spec.template.spec.containers[0]
    assert container.image == "mycompany/myapp:1.9.0" and container.resources.limits["memory"] == "512Mi"
    assert after.metadata.generation == before.metadata.generation + 1
    assert int(after.metadata.resource_version) > int(before.metadata.resource_version)
    # A list body is sent as a JSON patch.
    ops = [{"op": "add", "path": "/data/EXTRA", "value": "1"}, {"op": "remove", "path": "/data/LOG_LEVEL"}]
    cm = core.patch_namespaced_config_map("myapp-config", "production", ops)
    assert cm.data == {"DB_HOST": "my-database.cluster-abc.us-east-1.rds.amazonaws.com", "EXTRA": "1"}
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("myapp-config", "production", [{"op": "remove", "path": "/data/x"}])
    assert err.value.status == 422
    # Merge patch through the custom objects API (application/merge-patch+json); null deletes.
    custom = client.CustomObjectsApi(api_client)
    labels = {"metadata": {"labels": {"team": "payments", "app": None}}}
    hpa = custom.patch_namespaced_custom_object("autoscaling", "v2", "production", "horizontalpodautoscalers",
                                                "payments", labels)  # fmt: skip
    assert hpa["metadata"]["labels"] == {"team": "payments"}


def test_create_conflicts_and_delete(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="probe"), data={"a": "1"})
    created = core.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert created.metadata.namespace == "default"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", body)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "AlreadyExists"
    stale = core.read_namespaced_config_map("probe", "default")
    core.patch_namespaced_config_map("probe", "default", {"data": {"a": "2"}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("probe", "default", stale)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "Conflict"
    core.delete_namespaced_config_map("probe", "default")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("probe", "default")
    status = json.loads(err.value.body)
    assert err.value.status == 404 and status["kind"] == "Status" and status["reason"] == "NotFound"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta()))
    assert err.value.status == 422 and json.loads(err.value.body)["reason"] == "Invalid"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("no-such-namespace", body)
    assert err.value.status == 404


def test_forbidden_rules_answer_403(api_client: client.ApiClient, kube_server: FakeKubeServer) -> None:
    core = client.CoreV1Api(api_client)
    kube_server.forbid("list", "pods")
    kube_server.forbid("get", "pods/log", namespace="production")
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces()
    status = json.loads(err.value.body)
    assert err.value.status == 403 and status["reason"] == "Forbidden"
    assert 'cannot list resource "pods"' in status["message"]
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("myapp-6d4cf56db6-2xkqp", "production")
    assert err.value.status == 403
    assert core.read_namespaced_pod("myapp-6d4cf56db6-2xkqp", "production").metadata.name
    assert core.list_node().items
    kube_server.allow_all()
    assert core.list_pod_for_all_namespaces().items


def test_token_is_required(kube_server: FakeKubeServer, tmp_path: Path) -> None:
    assert kube_server.ca_pem is not None
    (tmp_path / "ca.crt").write_bytes(kube_server.ca_pem)
    configuration = client.Configuration()
    configuration.host = kube_server.url
    configuration.ssl_ca_cert = str(tmp_path / "ca.crt")
    with client.ApiClient(configuration) as anonymous:
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(anonymous).list_node()
    assert err.value.status == 401
    assert json.loads(err.value.body)["reason"] == "Unauthorized"
