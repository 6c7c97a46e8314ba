"""The fake Kubernetes API over real HTTP on 127.0.0.1, and kubeconfig files that point at it.

    server = FakeKubeServer(token="sandbox-token", tls=True)
    seed_cluster(server.store)
    url = server.start()                      # https://127.0.0.1:<free port>
    write_kubeconfig(path, url, "sandbox-token", "my-cluster", ca_pem=server.ca_pem)
    ...
    server.stop()

A threaded stdlib HTTP/1.1 server with keep-alive; idle connections close after `idle_timeout` seconds
and request bodies above `max_body` bytes are refused (413), so a long-running sandbox stays bounded.
Requests are logged at DEBUG as method, path and status only, never bodies (secrets stay out of logs).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from opsbook.sandbox.k8s import errors, streams, websocket
from opsbook.sandbox.k8s.api import ForbidRule, KubeApi
from opsbook.sandbox.k8s.controllers import Controllers
from opsbook.sandbox.k8s.store import ClusterStore

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: KubeApi, max_body: int, idle_timeout: float) -> None:
        self.api = api
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("fake-kube %s", format % args)

    def _handle(self) -> None:
        if (self.headers.get("Upgrade") or "").lower() == "websocket":
            self._upgrade()
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_body:
            self.close_connection = True
            too_big = errors.ApiError(413, "RequestEntityTooLarge", "the request body is too large")
            self._send(413, "application/json", _json_bytes(too_big.status()))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            code, content_type, data = self.server.api.handle(
                self.command, parts.path, parse_qs(parts.query), headers, body
            )
        except Exception:  # a bug in the fake must answer 500, not drop the connection
            log.exception("fake-kube: %s %s failed", self.command, parts.path)
            failure = errors.ApiError(500, "InternalError", "internal error in the sandbox API server")
            code, content_type, data = 500, "application/json", _json_bytes(failure.status())
        if isinstance(data, bytes):
            self._send(code, content_type, data)
        else:
            self._stream(code, content_type, data)

    def _upgrade(self) -> None:
        """A WebSocket upgrade: `kubectl exec` and `attach` (`streams.py`)."""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.close_connection = True
        try:
            request = self.server.api.stream_request(parts.path, parse_qs(parts.query), headers)
        except errors.ApiError as exc:
            self._send(exc.code, "application/json", _json_bytes(exc.status()))
            return
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket.accept_key(headers.get("sec-websocket-key", "")))
        self.send_header("Sec-WebSocket-Protocol", request.protocol)
        self.end_headers()
        self.wfile.flush()
        try:
            streams.serve(request, websocket.Connection(self.rfile, self.wfile), self.server.api.store)
        except Exception:  # a bug in the fake ends the stream, not the server
            log.exception("fake-kube: stream %s failed", parts.path)

    def _stream(self, code: int, content_type: str, chunks: Iterator[bytes]) -> None:
        """A chunked response (watch), written as the chunks come; ends when they do or the client goes."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True
        try:
            for chunk in chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    def _send(self, code: int, content_type: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def _json_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


class FakeKubeServer:
    """A fake Kubernetes API server for the sandbox and tests. Binds 127.0.0.1 only.

    `token`: when set, every request but health checks needs `Authorization: Bearer <token>` (else 401).
    `token_validator`: alternatively (or also) accept any bearer token it returns True for
    (e.g. EKS-style `k8s-aws-v1.` tokens in the sandbox).
    `forbid(verb, resource, group, namespace)`: make matching requests answer 403 Forbidden;
    `authorize_only(rules)`: answer 403 to what those RBAC PolicyRules do not grant (authz.py).
    `tls`: serve HTTPS with a fresh self-signed certificate (`ca_pem`); needed for kubectl + token,
    because client-go sends a kubeconfig's token only over TLS.
    `controllers`: run the sandbox's controllers (`controllers/`) after every write and every
    `tick` seconds; new pods start `pod_start_seconds` after they are scheduled, and a rollout to a bad
    image exceeds its progress deadline after `bad_image_deadline` seconds, and a node a node group adds
    (nodegroups.py) turns Ready `node_ready_seconds` after it registers.
    """

    def __init__(
        self,
        store: ClusterStore | None = None,
        token: str | None = None,
        token_validator: Callable[[str], bool] | None = None,
        user: str = "opsbook",
        max_body: int = 4 * 1024 * 1024,
        idle_timeout: float = 60.0,
        tls: bool = False,
        controllers: bool = True,
        tick: float = 0.2,
        pod_start_seconds: float = 1.0,
        bad_image_deadline: float = 3.0,
        node_ready_seconds: float = 2.0,
    ) -> None:
        self.tls = tls
        self.ca_pem: bytes | None = None
        self.store = store or ClusterStore()
        self.api = KubeApi(self.store, token, token_validator, user)
        self.tick = tick
        self.controllers = (
            Controllers(
                self.store, pod_start_seconds, bad_image_deadline, node_ready_seconds=node_ready_seconds
            )
            if controllers
            else None
        )
        if self.controllers is not None:
            self.api.on_write = self.controllers.reconcile
            self.api.downloads = self.controllers.velero.storage.get
        self.requests = self.api.requests  # the request counter (requestlog.py)
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def start(self, host: str = LOOPBACK, port: int = 0) -> str:
        """Serve in a background thread; returns the base URL (`http://127.0.0.1:<port>`)."""
        if host not in (LOOPBACK, "localhost"):
            raise ValueError(f"the fake Kubernetes API only binds {LOOPBACK}, not {host!r}")
        if self._httpd is not None:
            raise RuntimeError("the fake Kubernetes API server is already running")
        self._httpd = _HttpServer((LOOPBACK, port), self.api, self.max_body, self.idle_timeout)
        if self.tls:
            self._wrap_tls(self._httpd)
        bound_port = self._httpd.server_address[1]
        self.api.server_address = f"{LOOPBACK}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="fake-kube", daemon=True
        )
        self._thread.start()
        self.api.stopping.clear()
        self.url = f"{'https' if self.tls else 'http'}://{LOOPBACK}:{bound_port}"
        if self.controllers is not None:
            self.controllers.velero.base_url = self.url
            self.controllers.reconcile()  # derived objects (Endpoints) exist before the first request
            self.controllers.start(self.tick)
        return self.url

    def _wrap_tls(self, httpd: _HttpServer) -> None:
        from opsbook.sandbox.k8s.tls import self_signed_certificate

        cert_pem, key_pem = self_signed_certificate()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix="opsbook-kube-tls-") as tmp:
            cert_file, key_file = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
            cert_file.write_bytes(cert_pem)
            key_file.touch(mode=0o600)
            key_file.write_bytes(key_pem)
            context.load_cert_chain(cert_file, key_file)
        # The handshake runs lazily in the connection's own thread, never in the accept loop.
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.ca_pem = cert_pem

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.api.stopping.set()
        if self.controllers is not None:
            self.controllers.stop()
        httpd.shutdown()
        with httpd.connections_lock:
            for conn in list(httpd.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self.url = None

    def forbid(self, verb: str, resource: str, group: str = "", namespace: str | None = None) -> ForbidRule:
        """Answer 403 Forbidden to `verb` on `resource` (e.g. `forbid("list", "pods")`)."""
        return self.api.forbid(verb, resource, group, namespace)

    def allow_all(self) -> None:
        """Drop every forbid rule and any `authorize_only` rules."""
        self.api.allow_all()

    def authorize_only(self, rules: list[dict[str, Any]]) -> None:
        """Answer 403 to what these RBAC PolicyRules (a ClusterRole's `rules`) do not grant (authz.py)."""
        self.api.authorize_only(rules)

    def __enter__(self) -> FakeKubeServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def kubeconfig(
    url: str,
    token: str | None = None,
    context_name: str = "my-cluster",
    namespace: str | None = None,
    ca_pem: bytes | None = None,
) -> dict[str, Any]:
    """A kubeconfig document with one cluster, user and context, all named `context_name`.
    For an HTTPS server pass its `ca_pem` (kubectl sends the token only over TLS)."""
    user: dict[str, Any] = {"token": token} if token else {}
    context: dict[str, Any] = {"cluster": context_name, "user": context_name}
    if namespace:
        context["namespace"] = namespace
    cluster: dict[str, Any] = {"server": url}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context_name, "cluster": cluster}],
        "users": [{"name": context_name, "user": user}],
        "contexts": [{"name": context_name, "context": context}],
        "current-context": context_name,
    }


def write_kubeconfig(
    path: str | Path,
    url: str,
    token: str | None = None,
    context_name: str = "my-cluster",
    namespace: str | None = None,
    ca_pem: bytes | None = None,
) -> Path:
    """Write a kubeconfig for the fake server (mode 0600, since it may hold a token)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    document = kubeconfig(url, token, context_name, namespace, ca_pem)
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    target.chmod(0o600)
    return target
