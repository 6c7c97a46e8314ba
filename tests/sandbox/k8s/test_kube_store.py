"""The store, selectors and patches without HTTP: semantics and memory caps."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.sandbox.k8s.errors import ApiError
from opsbook.sandbox.k8s.patch import PatchError, json_patch, merge_patch
from opsbook.sandbox.k8s.selectors import SelectorError, field_selector, label_selector
from opsbook.sandbox.k8s.store import ClusterStore


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str, ns: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
    }


@pytest.fixture()
def store() -> ClusterStore:
    store = ClusterStore(max_objects=5, max_events=3, max_log_lines=4, max_line_length=10)
    store.create(namespace("default"))
    return store


def test_label_selector_grammar() -> None:
    obj = {"metadata": {"labels": {"app": "web", "tier": "front"}}}
    for text, expected in [
        ("app=web", True), ("app==web", True), ("app!=web", False), ("app in (web, api)", True),
        ("app notin (web)", False), ("tier", True), ("!tier", False), ("!missing,app=web", True),
        ("missing!=x", True), ("", True),
    ]:  # fmt: skip
        assert label_selector(text)(obj) is expected, text
    with pytest.raises(SelectorError):
        label_selector("app in web")


def test_field_selector_rejects_unknown_fields() -> None:
    pod = {"metadata": {"name": "p", "namespace": "ns"}, "status": {"phase": "Running"}, "spec": {}}
    assert field_selector("status.phase!=Pending,metadata.name=p", "Pod")(pod)
    assert not field_selector("spec.nodeName=n1", "Pod")(pod)
    with pytest.raises(SelectorError):
        field_selector("status.phase=Running", "ConfigMap")


def test_patches() -> None:
    doc = {"a": {"b": 1, "c": [1, 2]}, "list": [{"name": "x", "v": 1, "keep": True}]}
    assert merge_patch(doc, {"a": {"b": None, "d": 2}}) == {"a": {"c": [1, 2], "d": 2}, "list": doc["list"]}
    strategic = merge_patch(
        doc, {"list": [{"name": "x", "v": 2}], "$setElementOrder/list": []}, strategic=True
    )
    assert strategic["list"] == [{"name": "x", "v": 2, "keep": True}]
    assert merge_patch(doc, {"list": [{"name": "x", "v": 2}]})["list"] == [{"name": "x", "v": 2}]
    ops = [
        {"op": "add", "path": "/a/c/-", "value": 3},
        {"op": "replace", "path": "/a/b", "value": 5},
        {"op": "move", "from": "/a/b", "path": "/moved"},
        {"op": "copy", "from": "/moved", "path": "/copied"},
        {"op": "test", "path": "/copied", "value": 5},
        {"op": "remove", "path": "/list/0"},
    ]
    assert json_patch(doc, ops) == {"a": {"c": [1, 2, 3]}, "list": [], "moved": 5, "copied": 5}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/a/b", "value": 2}])


def test_server_metadata_generation_and_dry_run(store: ClusterStore) -> None:
    created = store.create(configmap("one", team="a"))
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["generation"] == 1
    dry = store.create(configmap("two"), dry_run=True)
    assert dry["metadata"]["name"] == "two" and len(store.list("configmaps")) == 1
    patched = store.patch(
        "configmaps", "one", {"data": {"k": "v"}}, "application/merge-patch+json", "default"
    )
    assert patched["metadata"]["generation"] == 2 and patched["metadata"]["uid"] == meta["uid"]
    with pytest.raises(ApiError) as err:
        store.patch("configmaps", "one", {"data": 1}, "text/plain", "default")
    assert err.value.code == 415


def test_object_cap_and_event_eviction(store: ClusterStore) -> None:
    for i in range(5):
        store.create(configmap(f"cm{i}"))
    with pytest.raises(ApiError) as err:
        store.create(configmap("cm-too-many"))
    assert err.value.code == 403 and "exceeded quota" in err.value.message
    for i in range(5):
        store.create(
            {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"e{i}", "namespace": "default"}}
        )
    assert [e["metadata"]["name"] for e in store.list("events")] == ["e2", "e3", "e4"]


def test_log_caps_and_cascades(store: ClusterStore) -> None:
    store.create(namespace("apps"))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
           "spec": {"containers": [{"name": "c"}]}}  # fmt: skip
    store.create(pod)
    store.set_logs("apps", "p", "c", [f"line {i} with a long tail" for i in range(10)])
    lines = [text for _, text in store.logs("apps", "p", "c")]
    assert lines == ["line 6 wit", "line 7 wit", "line 8 wit", "line 9 wit"]
    with pytest.raises(ApiError):
        store.set_logs("apps", "missing", "c", ["x"])
    store.create(configmap("cm", "apps"))
    store.delete("namespaces", "apps")
    assert store.list("configmaps", "apps") == [] and store.logs("apps", "p", "c") == []
    with pytest.raises(ApiError) as err:
        store.create(configmap("cm", "apps"))
    assert err.value.code == 404
