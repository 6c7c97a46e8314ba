"""Request handling of the fake Kubernetes API, independent of the HTTP plumbing.

`KubeApi.handle(method, path, query, headers, body)` returns (status code, content type, body bytes).
Paths: `/version`, `/healthz|livez|readyz`, `/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`,
and `/api/v1|/apis/<g>/<v>` + `[/namespaces/<ns>]/<plural>[/<name>[/<subresource>]]`.
`/openapi/v3` serves the kinds' schemas (`openapi.py`), and writes are checked against them
(`fieldValidation`, `schemas.py`). Custom resources are served once their CRD is established
(`controllers/crds.py`). Watch (`?watch=1`) streams events (`watch.py`); protobuf request bodies are read for the kinds kubectl's
typed client sends (`protobuf.py`); answers are always JSON. autoscaling/v1 HPAs are converted to the
stored v2 (`conversion.py`); `pods/<name>/eviction` honours PodDisruptionBudgets (`controllers/eviction.py`).
After every accepted write `on_write` runs (the controllers). Every answered request is counted
(`requestlog.py`; `GET /_sandbox/requests` serves the counts); requests to deprecated versions (a CRD
version marked `deprecated`) feed `GET /metrics` (`apimetrics.py`). `pods/<name>/log?follow=true` streams, then ends (`log_follow_seconds`). `pods/<name>/exec|attach` are served over
WebSocket (`stream_request` here, the session in `streams.py`). Server-side apply (`application/apply-patch+yaml`)
is a simplification (`server_apply.py`). Not served: `/openapi/v2`, SPDY streaming, port-forward.
There is no garbage collector: deleting a Deployment leaves its ReplicaSets and pods in place.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opsbook.sandbox.k8s import (
    apimetrics,
    authz,
    conversion,
    errors,
    openapi,
    protobuf,
    requestlog,
    resources,
    schemas,
    server_apply,
    streams,
    tables,
    watch,
)
from opsbook.sandbox.k8s.controllers import crds, eviction
from opsbook.sandbox.k8s.resources import ResourceType
from opsbook.sandbox.k8s.store import JSON_PATCH, ClusterStore, Obj
from opsbook.sandbox.k8s.velero_storage import DOWNLOAD_PREFIX

JSON = "application/json"
Response = tuple[int, str, bytes | Iterator[bytes]]  # an iterator is streamed (watch)
HEALTH_PATHS = ("healthz", "livez", "readyz")
STREAMED = ("exec", "attach")


@dataclass(frozen=True)
class ForbidRule:
    """Deny `verb` on `resource` (`pods`, `pods/log`, `*`) in API `group` (`*` = any), in `namespace`
    (None = everywhere). `verb` is a Kubernetes verb: get, list, create, update, patch, delete, ..."""

    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None

    def matches(self, verb: str, resource: str, group: str, namespace: str | None) -> bool:
        return (
            self.verb in ("*", verb)
            and self.resource in ("*", resource)
            and self.group in ("*", group)
            and (self.namespace is None or self.namespace == namespace)
        )


@dataclass
class _Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def _dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _first(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


class KubeApi:
    """Routes requests to the store, enforcing the bearer token and the forbid rules."""

    def __init__(
        self,
        store: ClusterStore,
        token: str | None = None,
        token_validator: Callable[[str], bool] | None = None,
        user: str = "opsbook",
    ) -> None:
        self.store = store
        self.token = token
        self.token_validator = token_validator
        self.user = user
        self._rules: list[ForbidRule] = []
        self._policy: authz.Policy | None = None  # authorize_only(): RBAC rules the user is bound to
        self._rules_lock = threading.Lock()
        self.server_address = "127.0.0.1:0"
        self.on_write: Callable[[], None] | None = None
        self.stopping = threading.Event()  # set when the server stops: open watches end
        self.log_follow_seconds = 5.0  # `kubectl logs -f` ends after this long (the pod never does)
        self.requests = requestlog.RequestLog()  # every answered request, counted (requestlog.py)
        self.deprecated = apimetrics.DeprecatedRequests()  # GET /metrics (apimetrics.py)
        self.downloads: Callable[[str], bytes | None] | None = None  # Velero's download URLs (velero_storage)

    # -- access control ------------------------------------------------------------------------------

    def forbid(self, verb: str, resource: str, group: str = "", namespace: str | None = None) -> ForbidRule:
        rule = ForbidRule(verb, resource, group, namespace)
        with self._rules_lock:
            self._rules.append(rule)
        return rule

    def allow_all(self) -> None:
        with self._rules_lock:
            self._rules.clear()
            self._policy = None

    def authorize_only(self, rules: list[dict[str, Any]]) -> None:
        """Grant the user exactly these RBAC PolicyRules (authz.py); forbid rules still apply."""
        policy = authz.Policy(rules)
        with self._rules_lock:
            self._policy = policy

    def _authenticated(self, headers: Mapping[str, str]) -> bool:
        if self.token is None and self.token_validator is None:
            return True
        scheme, _, given = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        if self.token is not None and hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return True
        return self.token_validator is not None and self.token_validator(given.strip())

    def _authorize(self, verb: str, target: _Target) -> None:
        resource = target.rt.plural + (f"/{target.subresource}" if target.subresource else "")
        with self._rules_lock:
            denied = any(r.matches(verb, resource, target.rt.group, target.namespace) for r in self._rules)
            policy = self._policy
        if policy is not None and not policy.allows(verb, target.rt.group, resource, target.name):
            denied = True
        if denied:
            raise errors.forbidden(self.user, verb, resource, target.rt.group, target.namespace)

    def _authorize_url(self, verb: str, path: str) -> None:
        with self._rules_lock:
            policy = self._policy
        if policy is not None and not policy.allows_url(verb, path):
            raise errors.forbidden_path(self.user, verb, path)

    # -- entry point -----------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> Response:
        answer = self._handle(method, path, query, headers, body)
        if path != requestlog.DEBUG_PATH:
            self.requests.record(method, path, answer[0])
        return answer

    def stream_request(
        self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> streams.StreamRequest:
        """Check a WebSocket upgrade to `pods/<name>/exec|attach` (`streams.py`); raises ApiError to refuse.
        Counted as `GET <path>` with 101 when accepted."""
        try:
            if not self._authenticated(headers):
                raise errors.unauthorized()
            target = self._target([p for p in path.split("/") if p])
            if target.rt.key != "pods" or target.subresource not in STREAMED or target.name is None:
                raise errors.bad_request("only pods/exec and pods/attach can be upgraded to a stream")
            self._authorize("create", target)
            pod = self.store.get(target.rt, target.name, target.namespace)
            request = streams.prepare(target.subresource, pod, query, headers)
        except errors.ApiError as exc:
            self.requests.record("GET", path, exc.code)
            raise
        self.requests.record("GET", path, 101)
        return request

    def _handle(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> Response:
        parts = [p for p in path.split("/") if p]
        try:
            if parts and parts[0] in HEALTH_PATHS:
                return 200, "text/plain; charset=utf-8", b"ok"
            if path.startswith(DOWNLOAD_PREFIX) and self.downloads is not None:  # pre-signed: no bearer
                blob = self.downloads(path[len(DOWNLOAD_PREFIX) :]) if method == "GET" else None
                if blob is None:
                    raise errors.ApiError(404, "NotFound", "no such download (expired?)")
                return 200, "application/octet-stream", blob
            if not self._authenticated(headers):
                raise errors.unauthorized()
            if path == requestlog.DEBUG_PATH:
                if method != "GET":
                    raise errors.ApiError(405, "MethodNotAllowed", "the request log is read-only")
                return 200, JSON, _dump(self.requests.document())
            if path == apimetrics.PATH:
                self._authorize_url(method.lower(), path)
                return 200, apimetrics.CONTENT_TYPE, self.deprecated.exposition()
            found = self._discovery(parts)
            if found is not None:
                return 200, JSON, _dump(found)
            document = openapi.serve(parts, self.store.custom_types, self._schema_of)
            if document is not None:
                return 200, JSON, document
            target = self._target(parts)
            return self._dispatch(method, target, query, headers, body)
        except errors.ApiError as exc:
            return exc.code, JSON, _dump(exc.status())

    def _discovery(self, parts: list[str]) -> Obj | None:
        extra = self.store.custom_types
        if parts == ["version"]:
            return resources.version_info(self.store.server_version)
        if parts == ["api"]:
            return resources.api_versions(self.server_address)
        if parts == ["api", "v1"]:
            return resources.api_resource_list("", "v1")
        if parts == ["apis"]:
            return resources.api_group_list(extra)
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in resources.groups(extra):
            return resources.api_group(parts[1], extra)
        if len(parts) == 3 and parts[0] == "apis":
            return resources.api_resource_list(parts[1], parts[2], extra)
        return None

    def _schema_of(self, rt: ResourceType) -> schemas.Schema | None:
        if rt.key in {c.key for c in self.store.custom_types}:
            return crds.schema(self.store, rt)
        return schemas.builtin_schema(rt.kind, rt.version)

    def _target(self, parts: list[str]) -> _Target:
        missing = errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        if len(parts) >= 3 and parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 4 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise missing
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = resources.find(group, version, rest[2], self.store.custom_types)
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        rt = resources.find(group, version, rest[0], self.store.custom_types)
        if rt is None or len(rest) > 3:
            raise missing
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if (sub and sub not in rt.subresources) or (rt.namespaced and name and namespace is None):
            raise missing
        return _Target(rt, namespace, name, sub)

    # -- verbs -----------------------------------------------------------------------------------------

    def _dispatch(
        self,
        method: str,
        target: _Target,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        rt, name = target.rt, target.name
        if method == "GET" and _first(query, "watch") in ("1", "true"):
            verb = "watch"
        elif method == "GET":
            verb = "get" if name else "list"
        elif method == "DELETE":
            verb = "delete" if name else "deletecollection"
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())
        allowed = {None: rt.verbs, "log": ("get",), "eviction": ("create",), "exec": ("get", "create"),
                   "attach": ("get", "create")}.get(target.subresource, ("get", "update", "patch"))  # fmt: skip
        if (
            verb not in allowed
            or (verb == "create" and name and not target.subresource)
            or (verb in ("update", "patch") and not name)
        ):
            raise errors.ApiError(
                405, "MethodNotAllowed", f"the server does not allow this method on {rt.plural}"
            )
        self._authorize(verb, target)
        self.deprecated.record(rt, target.subresource)
        if target.subresource in STREAMED:  # served only over WebSocket (`stream_request`), not SPDY
            assert target.name is not None
            streams.check(target.subresource, self.store.get(rt, target.name, target.namespace), query)
            raise errors.bad_request("Upgrade request required")
        if verb == "get" and target.subresource == "log":
            return self._log(target, query)
        view: Callable[[Obj], Obj] = lambda obj: obj  # noqa: E731 - the identity view
        asked = rt  # the type the client wrote in: its schema checks the body (`schemas.py`)
        if rt.group == "autoscaling" and rt.version == "v1":  # stored as v2, served as v1 too
            view = conversion.hpa_to_v1
            stored = resources.find("autoscaling", "v2", rt.plural)
            assert stored is not None
            target = _Target(stored, target.namespace, name, target.subresource)
        code, data = self._verb(verb, target, query, headers, body, view, asked)
        if verb in ("create", "update", "patch", "delete", "deletecollection") and self.on_write is not None:
            self.on_write()
        if isinstance(data, Iterator):
            return code, JSON, data
        return code, JSON, _dump(data)

    def _verb(
        self,
        verb: str,
        target: _Target,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        view: Callable[[Obj], Obj],
        asked: ResourceType,
    ) -> tuple[int, Any]:
        rt, name, store = target.rt, target.name, self.store
        dry_run = _first(query, "dryRun") == "All"
        accept = headers.get("accept", "")
        if verb == "watch":
            return 200, watch.stream(store, rt, target.namespace, name, query, accept, view, self.stopping)
        if verb == "list":
            return self._list(target, query, accept, view)
        if verb == "get":
            assert name is not None
            if target.subresource == "scale":
                return 200, store.get_scale(rt, name, target.namespace)
            obj = store.get(rt, name, target.namespace)
            if tables.wants_table(accept):
                return 200, tables.to_table(
                    rt.kind, [obj], store.resource_version, _first(query, "includeObject"), {}
                )
            return 200, view(obj)
        if verb == "deletecollection":
            doomed = self._select(target, query)
            for obj in doomed:
                meta = obj["metadata"]
                store.delete(rt, meta["name"], meta.get("namespace"), dry_run=dry_run)
            return 200, self._list_body(rt, [view(o) for o in doomed], {})
        payload = self._body(body, headers)
        if verb in ("create", "update", "patch") and target.subresource is None:
            content = (headers.get("content-type") or "").split(";")[0].strip()
            if content != JSON_PATCH:
                payload = schemas.check_fields(
                    payload,
                    rt.kind,
                    asked.version,
                    self._schema_of(asked),
                    _first(query, "fieldValidation"),
                    verb,
                )
        if verb == "delete":
            assert name is not None
            options = payload if isinstance(payload, dict) else {}
            dry_run = dry_run or "All" in (options.get("dryRun") or [])
            return 200, view(store.delete(rt, name, target.namespace, dry_run=dry_run))
        if view is conversion.hpa_to_v1 and verb in ("create", "update"):
            current = store.get(rt, name, target.namespace) if verb == "update" and name else None
            payload = conversion.hpa_to_v2(payload, current)
        if verb == "create" and target.subresource == "eviction":
            assert name is not None and target.namespace is not None
            return 201, eviction.evict(store, target.namespace, name, payload, dry_run)
        if verb == "create":
            return 201, view(store.create(payload, target.namespace, rt, dry_run=dry_run))
        assert name is not None
        if verb == "update":
            result = store.replace(rt, name, payload, target.namespace, target.subresource, dry_run)
        else:
            kind = (headers.get("content-type") or "").split(";")[0].strip()
            if kind == server_apply.APPLY_PATCH and target.subresource is None:
                code, applied = server_apply.apply(store, rt, name, target.namespace, payload, query, dry_run)
                return code, view(applied)
            result = store.patch(rt, name, payload, kind, target.namespace, target.subresource, dry_run)
        return 200, view(result)

    @staticmethod
    def _body(body: bytes, headers: Mapping[str, str]) -> Any:
        content_type = (headers.get("content-type") or "").split(";")[0].strip()
        if content_type == server_apply.APPLY_PATCH:
            return server_apply.parse(body)
        if content_type == protobuf.PROTOBUF:
            try:
                return protobuf.decode(body)
            except protobuf.ProtobufError as exc:
                raise errors.ApiError(415, "UnsupportedMediaType", str(exc)) from None
            except UnicodeDecodeError:
                raise errors.bad_request("the request body is not valid protobuf") from None
        return KubeApi._json(body)

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json.loads(body or b"null")
        except ValueError as exc:
            raise errors.bad_request(f"the request body is not valid JSON: {exc}") from None

    def _select(self, target: _Target, query: Mapping[str, list[str]]) -> list[Obj]:
        return self.store.list(
            target.rt, target.namespace, _first(query, "labelSelector"), _first(query, "fieldSelector")
        )

    def _list_body(self, rt: ResourceType, items: list[Obj], extra_meta: Obj) -> Obj:
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": self.store.resource_version, **extra_meta},
            "items": items,
        }

    def _list(
        self, target: _Target, query: Mapping[str, list[str]], accept: str, view: Callable[[Obj], Obj]
    ) -> tuple[int, Any]:
        items = self._select(target, query)
        token = _first(query, "continue")
        if token:
            start = _decode_continue(token)
            items = [i for i in items if _sort_key(i) > start]
        meta: Obj = {}
        limit_text = _first(query, "limit")
        limit = int(limit_text) if limit_text and limit_text.isdigit() else 0
        if limit and len(items) > limit:
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
            meta["continue"] = _encode_continue(_sort_key(items[-1]), self.store.resource_version)
        if tables.wants_table(accept):
            rv = self.store.resource_version
            return 200, tables.to_table(target.rt.kind, items, rv, _first(query, "includeObject"), meta)
        return 200, self._list_body(target.rt, [view(i) for i in items], meta)

    def _log(self, target: _Target, query: Mapping[str, list[str]]) -> Response:
        assert target.name is not None and target.namespace is not None
        pod = self.store.get(target.rt, target.name, target.namespace)
        container = streams.choose_container(pod, _first(query, "container"))
        previous = _first(query, "previous") in ("1", "true")
        since = _first(query, "sinceSeconds")
        lines = self.store.logs(
            target.namespace,
            target.name,
            container,
            previous,
            timedelta(seconds=int(since)) if since and since.isdigit() else None,
        )
        if not lines and (pod.get("status") or {}).get("phase") == "Pending":
            raise errors.bad_request(
                f'container "{container}" in pod "{target.name}" is waiting to start: ContainerCreating'
            )
        tail = _first(query, "tailLines")
        if tail and tail.lstrip("-").isdigit() and int(tail) >= 0:
            lines = lines[len(lines) - int(tail) :] if int(tail) else []
        stamped = _first(query, "timestamps") in ("1", "true")

        def render(chunk: list[tuple[Any, str]]) -> bytes:
            return "".join(
                (f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f000Z')} " if stamped else "") + line + "\n"
                for moment, line in chunk
            ).encode()

        data = render(lines)
        limit_bytes = _first(query, "limitBytes")
        if limit_bytes and limit_bytes.isdigit():
            data = data[: int(limit_bytes)]
        if _first(query, "follow") in ("1", "true") and not previous:
            seen = len(self.store.logs(target.namespace, target.name, container, False, None))
            return 200, "text/plain", self._follow(target, container, data, seen, render)
        return 200, "text/plain", data

    def _follow(
        self, target: _Target, container: str, first: bytes, seen: int, render: Callable[..., bytes]
    ) -> Iterator[bytes]:
        """`logs -f`: what there is, then new lines as they come, until the pod stops running, is
        deleted, the server stops, or `log_follow_seconds` pass (a sandbox pod never ends on its own)."""
        assert target.name is not None and target.namespace is not None
        if first:
            yield first
        deadline = time.monotonic() + self.log_follow_seconds
        while time.monotonic() < deadline and not self.stopping.wait(0.2):
            try:
                pod = self.store.get(target.rt, target.name, target.namespace)
            except errors.ApiError:
                return
            lines = self.store.logs(target.namespace, target.name, container, False, None)
            if len(lines) > seen:
                yield render(lines[seen:])
                seen = len(lines)
            if (pod.get("status") or {}).get("phase") != "Running":
                return


def _sort_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


def _encode_continue(key: tuple[str, str], resource_version: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": resource_version, "start": list(key)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
        return str(start[0]), str(start[1])
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise errors.bad_request("continue key is not valid") from None
