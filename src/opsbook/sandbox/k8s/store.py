"""The in-memory object store behind the fake Kubernetes API: thread-safe, bounded, API-server semantics.

Memory caps (a sandbox may run for days):
- `max_objects` objects per resource type (default 5000); creating one more fails with 403 "exceeded quota",
  except for events, which evict the oldest event instead (`max_events`, default 1000).
- `max_log_lines` lines per container log (default 1000; older lines drop off), each line cut to
  `max_line_length` characters (default 4096). Logs exist only for existing pods and go with them.
All reads and writes hand out deep copies, so callers can never mutate the store behind its lock.
"""

from __future__ import annotations

import builtins
import copy
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.patch import PatchError, json_patch, merge_patch
from opsbook.sandbox.k8s.resources import RESOURCES, ResourceType, resolve
from opsbook.sandbox.k8s.selectors import field_selector, label_selector, selector_string
from opsbook.sandbox.k8s.validation import validate
from opsbook.sandbox.k8s.watchlog import WatchLog

Obj = dict[str, Any]
LogLine = tuple[datetime, str]

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 seconds in UTC, the API server's `metav1.Time` format."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def type_of(obj: Obj, extra: Sequence[ResourceType] = ()) -> ResourceType:
    """The resource type of an object from its `apiVersion` and `kind`."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    for rt in (*RESOURCES, *extra):
        if rt.api_version == api_version and rt.kind == kind:
            return rt
    raise errors.bad_request(f"no resource serves apiVersion {api_version!r} kind {kind!r}")


class ClusterStore:
    """Objects by resource type and (namespace, name), plus pod logs."""

    def __init__(
        self,
        max_objects: int = 5000,
        max_events: int = 1000,
        max_log_lines: int = 1000,
        max_line_length: int = 4096,
    ) -> None:
        self.max_objects = max_objects
        self.max_events = max_events
        self.max_log_lines = max_log_lines
        self.max_line_length = max_line_length
        self._lock = threading.RLock()
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {rt.key: {} for rt in RESOURCES}
        self._custom: dict[tuple[str, str], ResourceType] = {}  # by (key, version); `controllers/crds.py`
        self._logs: dict[tuple[str, str, str, bool], deque[LogLine]] = {}
        self._revision = 0
        self.watch_log = WatchLog()
        self.server_version: str | None = None  # the control plane's x.y.z once its EKS cluster was upgraded

    # -- helpers -------------------------------------------------------------------------------------

    def _type(self, resource: ResourceType | str) -> ResourceType:
        return resource if isinstance(resource, ResourceType) else resolve(resource, self.custom_types)

    # -- custom resource types -----------------------------------------------------------------------

    @property
    def custom_types(self) -> tuple[ResourceType, ...]:
        with self._lock:
            return tuple(self._custom.values())

    def type_of(self, obj: Obj) -> ResourceType:
        return type_of(obj, self.custom_types)

    def register_type(self, rt: ResourceType) -> None:
        """Serve a custom resource type (a CRD was established); its objects start empty."""
        with self._lock:
            self._custom[(rt.key, rt.version)] = rt
            self._objects.setdefault(rt.key, {})  # one storage for all of a resource's versions

    def unregister_type(self, key: str, version: str) -> None:
        """Stop serving a version of a custom resource; with its last version its objects go too
        (watchers see them deleted)."""
        with self._lock:
            if self._custom.pop((key, version), None) is None:
                return
            if any(k == key for k, _ in self._custom):
                return
            for obj in self._objects.pop(key, {}).values():
                obj["metadata"]["resourceVersion"] = self._next_revision()
                self.watch_log.record(self._revision, "DELETED", key, obj)

    def _next_revision(self) -> str:
        self._revision += 1
        return str(self._revision)

    @property
    def resource_version(self) -> str:
        with self._lock:
            return str(self._revision)

    def _bucket(self, rt: ResourceType) -> dict[tuple[str, str], Obj]:
        bucket = self._objects.get(rt.key)
        if bucket is None:  # a custom resource type whose CRD went away
            raise errors.not_found(rt.plural, rt.group, "")
        return bucket

    def _key(self, rt: ResourceType, name: str, namespace: str | None) -> tuple[str, str]:
        if rt.namespaced and not namespace:
            raise errors.bad_request(f"{rt.plural} is namespaced: a namespace is required")
        return (namespace or "") if rt.namespaced else "", name

    def _current(self, rt: ResourceType, name: str, namespace: str | None) -> Obj:
        obj = self._bucket(rt).get(self._key(rt, name, namespace))
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return obj

    def _check_namespace(self, rt: ResourceType, namespace: str) -> None:
        if rt.namespaced and ("", namespace) not in self._objects["namespaces"]:
            raise errors.not_found("namespaces", "", namespace)

    def _make_room(self, rt: ResourceType) -> None:
        bucket = self._bucket(rt)
        if rt.key == "events":
            while len(bucket) >= self.max_events:
                del bucket[next(iter(bucket))]
        elif len(bucket) >= self.max_objects:
            raise errors.ApiError(
                403, "Forbidden", f"exceeded quota: the sandbox keeps at most {self.max_objects} {rt.plural}"
            )

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, resource: ResourceType | str, name: str, namespace: str | None = None) -> Obj:
        rt = self._type(resource)
        with self._lock:
            return copy.deepcopy(self._current(rt, name, namespace))

    def list(
        self,
        resource: ResourceType | str,
        namespace: str | None = None,
        label_selector_text: str | None = None,
        field_selector_text: str | None = None,
    ) -> list[Obj]:
        """Matching objects sorted by (namespace, name); raises ApiError 400 on a bad selector."""
        rt = self._type(resource)
        try:
            by_label = label_selector(label_selector_text)
            by_field = field_selector(field_selector_text, rt.kind)
        except ValueError as exc:
            raise errors.bad_request(str(exc)) from None
        with self._lock:
            found = [
                copy.deepcopy(obj)
                for (ns, _), obj in sorted(self._bucket(rt).items())
                if (namespace is None or ns == namespace) and by_label(obj) and by_field(obj)
            ]
        return found

    # -- writes --------------------------------------------------------------------------------------

    def create(
        self,
        obj: Obj,
        namespace: str | None = None,
        resource: ResourceType | str | None = None,
        dry_run: bool = False,
        keep_metadata: bool = False,
    ) -> Obj:
        """Create an object, filling the server-side metadata. `keep_metadata` (for seeding) keeps
        a given creationTimestamp/uid instead of overwriting them."""
        rt = self._type(resource) if resource is not None else self.type_of(obj)
        new = copy.deepcopy(obj)
        meta = new.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = meta.get("name")
        if not name:
            raise errors.invalid(rt.kind, rt.group, "", "metadata.name: Required value: name or generateName")
        if rt.namespaced:
            body_ns = meta.get("namespace")
            if namespace and body_ns and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or body_ns or "default"
        else:
            meta.pop("namespace", None)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if rt.kind == "Secret":
            new.setdefault("type", "Opaque")  # the API server's default
        with self._lock:
            self._check_namespace(rt, meta.get("namespace", ""))
            key = self._key(rt, name, meta.get("namespace"))
            if key in self._bucket(rt):
                raise errors.already_exists(rt.plural, rt.group, name)
            if not keep_metadata or not meta.get("uid"):
                meta["uid"] = str(uuid.uuid4())
            if not keep_metadata or not meta.get("creationTimestamp"):
                meta["creationTimestamp"] = timestamp()
            if not keep_metadata or not isinstance(meta.get("generation"), int):
                meta["generation"] = 1
            meta.pop("deletionTimestamp", None)
            validate(rt.kind, rt.group, new)
            if dry_run:
                return new
            self._make_room(rt)
            meta["resourceVersion"] = self._next_revision()
            self._bucket(rt)[key] = new
            self.watch_log.record(self._revision, "ADDED", rt.key, new)
            return copy.deepcopy(new)

    def put(self, obj: Obj) -> Obj:
        """Create or overwrite an object as given (seeding and test pokes), keeping its timestamps."""
        rt = self.type_of(obj)
        meta = obj.get("metadata", {})
        with self._lock:
            self._bucket(rt).pop(self._key(rt, meta.get("name", ""), meta.get("namespace")), None)
            return self.create(obj, keep_metadata=True)

    def replace(
        self,
        resource: ResourceType | str,
        name: str,
        obj: Obj,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """PUT semantics: optimistic concurrency on resourceVersion, immutable identity, status handling."""
        rt = self._type(resource)
        with self._lock:
            current = self._current(rt, name, namespace)
            self._guard(rt, name, obj, current["metadata"]["resourceVersion"])
            if subresource == "scale":
                return self._apply_scale(rt, current, obj, dry_run)
            new = self._merge_update(rt, current, obj, subresource)
            return self._commit(rt, current, new, dry_run)

    @staticmethod
    def _guard(rt: ResourceType, name: str, body: Any, current_revision: str) -> None:
        """The body must be an object, keep the name, and carry no stale resourceVersion (409)."""
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        meta = body.get("metadata") or {}
        if meta.get("name", name) != name:
            raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not match {name!r}")
        given = meta.get("resourceVersion")
        if given and given != current_revision:
            raise errors.conflict(rt.plural, rt.group, name)

    def _merge_update(self, rt: ResourceType, current: Obj, body: Obj, subresource: str | None) -> Obj:
        if subresource == "status":
            new = copy.deepcopy(current)
            new["status"] = copy.deepcopy(body.get("status", {}))
            return new
        new = copy.deepcopy(body)
        meta = new.setdefault("metadata", {})
        for field in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
            if field in current["metadata"]:
                meta[field] = current["metadata"][field]
            else:
                meta.pop(field, None)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if "status" in rt.subresources:
            if "status" in current:
                new["status"] = copy.deepcopy(current["status"])
            else:
                new.pop("status", None)
        return new

    def _commit(self, rt: ResourceType, current: Obj, new: Obj, dry_run: bool) -> Obj:
        def spec_part(obj: Obj) -> Obj:
            return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}

        if spec_part(new) != spec_part(current):
            validate(rt.kind, rt.group, new)
            new["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        if dry_run:
            return new
        if new == current:
            return copy.deepcopy(current)
        new["metadata"]["resourceVersion"] = self._next_revision()
        self._bucket(rt)[self._key(rt, new["metadata"]["name"], new["metadata"].get("namespace"))] = new
        self.watch_log.record(self._revision, "MODIFIED", rt.key, new)
        return copy.deepcopy(new)

    def patch(
        self,
        resource: ResourceType | str,
        name: str,
        body: Any,
        patch_type: str,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        rt = self._type(resource)
        with self._lock:
            current = self._current(rt, name, namespace)
            base = self._scale_of(rt, current) if subresource == "scale" else current
            try:
                if patch_type == JSON_PATCH:
                    patched = json_patch(base, body)
                elif patch_type in (MERGE_PATCH, STRATEGIC_PATCH):
                    patched = merge_patch(base, body, strategic=patch_type == STRATEGIC_PATCH)
                else:
                    raise errors.ApiError(
                        415,
                        "UnsupportedMediaType",
                        f"the body of the request was in an unknown format: {patch_type}",
                    )
            except PatchError as exc:
                raise errors.invalid(rt.kind, rt.group, name, str(exc)) from None
            self._guard(rt, name, patched, base["metadata"].get("resourceVersion", ""))
            if subresource == "scale":
                return self._apply_scale(rt, current, patched, dry_run)
            new = self._merge_update(rt, current, patched, subresource)
            return self._commit(rt, current, new, dry_run)

    def delete(
        self, resource: ResourceType | str, name: str, namespace: str | None = None, dry_run: bool = False
    ) -> Obj:
        """Delete one object; a namespace takes its contents with it, a pod its logs and metrics."""
        rt = self._type(resource)
        with self._lock:
            current = copy.deepcopy(self._current(rt, name, namespace))
            if dry_run:
                return current
            del self._bucket(rt)[self._key(rt, name, namespace)]
            if rt.key == "namespaces":
                for other in (*RESOURCES, *self._custom.values()):
                    if other.namespaced:
                        bucket = self._bucket(other)
                        for key in [k for k in bucket if k[0] == name]:
                            del bucket[key]
                self._logs = {k: v for k, v in self._logs.items() if k[0] != name}
            elif rt.key == "pods":
                self._logs = {k: v for k, v in self._logs.items() if k[:2] != (namespace, name)}
                self._bucket(resolve("pods.metrics.k8s.io")).pop((namespace or "", name), None)
            current["metadata"]["resourceVersion"] = self._next_revision()
            self.watch_log.record(self._revision, "DELETED", rt.key, current)
            return current

    # -- scale subresource -----------------------------------------------------------------------------

    def _scale_of(self, rt: ResourceType, obj: Obj) -> Obj:
        if "scale" not in rt.subresources:
            raise errors.not_found(f"{rt.plural}/scale", rt.group, obj["metadata"]["name"])
        meta = obj["metadata"]
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            },
            "spec": {"replicas": int((obj.get("spec") or {}).get("replicas", 1))},
            "status": {
                "replicas": int((obj.get("status") or {}).get("replicas", 0)),
                "selector": selector_string(selector),
            },
        }

    def get_scale(self, resource: ResourceType | str, name: str, namespace: str | None = None) -> Obj:
        rt = self._type(resource)
        with self._lock:
            return self._scale_of(rt, self._current(rt, name, namespace))

    def _apply_scale(self, rt: ResourceType, current: Obj, scale: Obj, dry_run: bool) -> Obj:
        """Set spec.replicas; the controllers (see `controllers/`) make the pods and the status follow."""
        self._scale_of(rt, current)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                "Scale", "autoscaling", current["metadata"]["name"], "spec.replicas: Invalid value"
            )
        new = copy.deepcopy(current)
        new.setdefault("spec", {})["replicas"] = replicas
        committed = self._commit(rt, current, new, dry_run)
        return self._scale_of(rt, committed)

    # -- logs ----------------------------------------------------------------------------------------

    def set_logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        lines: Iterable[str | LogLine],
        previous: bool = False,
    ) -> None:
        """Replace a container's log (or its previous instance's log). Plain strings are stamped now."""
        with self._lock:
            self._current(resolve("pods"), pod, namespace)
            key = (namespace, pod, container, previous)
            self._logs[key] = deque(maxlen=self.max_log_lines)
            self._append(key, lines)

    def append_logs(self, namespace: str, pod: str, container: str, lines: Iterable[str | LogLine]) -> None:
        with self._lock:
            self._current(resolve("pods"), pod, namespace)
            key = (namespace, pod, container, False)
            self._logs.setdefault(key, deque(maxlen=self.max_log_lines))
            self._append(key, lines)

    def _append(self, key: tuple[str, str, str, bool], lines: Iterable[str | LogLine]) -> None:
        now = datetime.now(UTC)
        for line in lines:
            moment, text = line if isinstance(line, tuple) else (now, line)
            self._logs[key].append((moment, text[: self.max_line_length]))

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        previous: bool = False,
        since: timedelta | None = None,
    ) -> builtins.list[LogLine]:
        with self._lock:
            lines = list(self._logs.get((namespace, pod, container, previous), ()))
        if since is not None:
            cutoff = datetime.now(UTC) - since
            lines = [line for line in lines if line[0] >= cutoff]
        return lines

    def clear(self) -> None:
        """Forget every object and log (the revision counter keeps counting)."""
        with self._lock:
            for bucket in self._objects.values():
                bucket.clear()
            self._logs.clear()
            self._next_revision()
