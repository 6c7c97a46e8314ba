"""A fault-injecting HTTP proxy for the sandbox: what a bad day on AWS (or a bad cluster) looks like.

Put it in front of the sandbox's AWS endpoint (an account's `endpoint_url`) or use it alone as a broken
server, and each request meets the configured fault with probability `rate`:

    pass       forward unchanged
    throttle   the service's own throttling error in its wire protocol, the same answer the sandbox's
               throttling model gives (sandbox/throttling.py: the exception the service's botocore model
               declares, else EC2 RequestLimitExceeded, S3 SlowDown, query `Throttling`, JSON/CBOR/REST
               `ThrottlingException`), so botocore retries it as it would AWS's
    delay      forward after `delay` seconds
    reset      close the connection with a TCP reset before answering
    garbage    HTTP 200 with a body that is no API's answer (`body`, default empty)
    http500    HTTP 500 with a plain-text body (a broken server or load balancer)
    blackhole  accept, read the request, never answer (until the proxy stops)

It listens on 127.0.0.1 only and counts what it did (`counts`). Used by the fault-injection tests and,
with `delay`/`throttle`, to measure how a run behaves when AWS is slow.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from opsbook.sandbox.throttling import throttle_response

MODES = ("pass", "throttle", "delay", "reset", "garbage", "http500", "blackhole")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te"}


def service_of(headers: dict[str, str]) -> str:
    """The AWS service a signed request is for: the SigV4 credential scope names it."""
    match = _SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else ""


class FaultProxy:
    def __init__(
        self,
        upstream: str | None = None,
        mode: str = "pass",
        *,
        rate: float = 1.0,
        delay: float = 0.0,
        body: bytes = b"",
        seed: int = 0,
        only: set[str] | None = None,
    ) -> None:
        """`upstream`: where `pass`/`delay` (and requests spared by `rate`) go; `only`: services (SigV4
        scope names, e.g. {"sts"}) the fault applies to, every request when None."""
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}: expected one of {', '.join(MODES)}")
        if upstream is None and mode in ("pass", "delay"):
            raise ValueError(f"mode {mode!r} needs an upstream")
        self.upstream = urlsplit(upstream) if upstream else None
        self.mode = mode
        self.rate = rate
        self.delay = delay
        self.body = body
        self.only = only
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)  # noqa: S311 - reproducible fault choice, not crypto
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
                return

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request -----------------------------------------------------------------------------------

    def _fault_for(self, service: str) -> str:
        if self.only is not None and service not in self.only:
            return "pass"
        with self._lock:
            hit = self._random.random() < self.rate
        return self.mode if hit else "pass"

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        fault = self._fault_for(service_of(headers))
        with self._lock:
            self.counts[fault] += 1
        if fault == "blackhole":
            self._stopping.wait(120)  # bounded: the proxy stops long before
            req.close_connection = True
            return
        if fault == "reset":
            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            req.close_connection = True
            req.connection.close()
            return
        if fault == "throttle":
            status, hdrs, payload = throttle_response(service_of(headers), headers)
            return self._answer(req, status, hdrs, payload)
        if fault == "garbage":
            return self._answer(req, 200, {"Content-Type": "text/plain"}, self.body)
        if fault == "http500":
            return self._answer(req, 500, {"Content-Type": "text/plain"}, b"Internal Server Error\n")
        if fault == "delay":
            self._stopping.wait(self.delay)
        self._forward(req, body)

    def _answer(self, req: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        req.send_response(status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(body)

    def _forward(self, req: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.upstream is None:
            return self._answer(req, 502, {"Content-Type": "text/plain"}, b"no upstream\n")
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=60
        )
        try:
            headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request(req.command, req.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
            self._answer(req, resp.status, out, payload)
        finally:
            conn.close()
