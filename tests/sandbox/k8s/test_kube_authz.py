"""`FakeKubeServer.authorize_only(rules)`: the fake API grants exactly a ClusterRole's PolicyRules, as RBAC does."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.sandbox.k8s.conftest import TOKEN

from opsbook.sandbox.k8s import FakeKubeServer
from opsbook.sandbox.k8s.authz import Policy

RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]},
    {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
]


def _status(call) -> int:  # type: ignore[no-untyped-def]
    try:
        call()
    except ApiException as exc:
        return int(exc.status)
    return 200


def _metrics(server: FakeKubeServer) -> int:
    code, _, _ = server.api.handle("GET", "/metrics", {}, {"authorization": f"Bearer {TOKEN}"}, b"")
    return code


def test_only_what_the_rules_grant(kube_server: FakeKubeServer, api_client: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    kube_server.authorize_only(RULES)
    assert _status(lambda: core.list_pod_for_all_namespaces()) == 200
    assert _status(lambda: core.read_namespaced_config_map("aws-auth", "kube-system")) == 200
    assert _status(lambda: core.read_namespaced_config_map("myapp-config", "production")) == 403  # not named
    assert _status(lambda: core.list_config_map_for_all_namespaces()) == 403  # a list names no object
    assert _status(lambda: core.list_node()) == 403
    assert _status(lambda: core.delete_namespaced_pod("myapp-6d4cf56db6-2xkqp", "production")) == 403
    assert _status(lambda: core.read_namespaced_pod_log("myapp-6d4cf56db6-2xkqp", "production")) == 403
    assert _status(lambda: apps.read_namespaced_deployment_scale("myapp", "production")) == 200  # */scale
    assert _status(lambda: apps.read_namespaced_deployment("myapp", "production")) == 403
    assert _metrics(kube_server) == 200
    assert client.VersionApi(api_client).get_code().major  # /version and discovery stay open
    with pytest.raises(ApiException) as denied:
        core.list_node()
    assert 'cannot list resource "nodes" in API group ""' in json.loads(denied.value.body)["message"]
    kube_server.authorize_only(RULES[:-1])
    assert _metrics(kube_server) == 403
    kube_server.allow_all()
    assert _status(lambda: core.list_node()) == 200 and _metrics(kube_server) == 200


def test_malformed_rules_are_refused() -> None:
    for bad in (
        {"apiGroups": [""], "resources": ["pods"]},  # no verbs
        {"nonResourceURLs": ["/metrics"], "resources": ["pods"], "verbs": ["get"]},
        {"apiGroups": "", "resources": ["pods"], "verbs": ["get"]},
    ):
        with pytest.raises(ValueError):
            Policy([bad])
    assert Policy([{"nonResourceURLs": ["/logs/*"], "verbs": ["get"]}]).allows_url("get", "/logs/kubelet")
