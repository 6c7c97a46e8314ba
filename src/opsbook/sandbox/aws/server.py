"""The AWS half of the sandbox: moto's server in-process on 127.0.0.1, behind a thin middleware that
serves operations moto lacks (one module per service), applies access-denied rules, counts calls, and
(`traffic.py`) models AWS's latency and throttling and caches read answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from opsbook.sandbox.aws.cache import cache_key
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.rds_lifecycle import pending as rds_pending
from opsbook.sandbox.aws.traffic import Traffic, throttled_answer
from opsbook.sandbox.aws.wire import Call, Response, access_denied, describe, rest_operation

Handler = Callable[[Call, SandboxData], Response | None]  # None: moto answers
CALLS_PATH = "/opsbook-api/calls"  # GET the request counts, DELETE to reset them (benchmarks)
STATS_PATH = "/opsbook-api/stats"  # GET calls/throttled/retries/CPU/waits (traffic.py), DELETE resets
LISTEN_BACKLOG = 1024  # hundreds of clients connect at once in the fleet benchmark (werkzeug: 128)


def extra_handlers() -> dict[str, dict[str, Handler]]:
    """service signing name -> operation -> handler, from every module in `sandbox/aws/services/`.

    A module there declares `SERVICE = "<signing name>"` and `HANDLERS = {"Operation": fn}`; nothing
    else needs editing to add one. A REST request (no operation name on the wire) goes to the handler under
    "" if there is one, else to the one named by botocore's model (method + URI), as AWS names it. A
    handler returning None leaves the request to moto.
    """
    import importlib
    import pkgutil

    from opsbook.sandbox.aws import services

    out: dict[str, dict[str, Handler]] = {}
    for info in pkgutil.iter_modules(services.__path__):
        mod = importlib.import_module(f"{services.__name__}.{info.name}")
        out.setdefault(mod.SERVICE, {}).update(mod.HANDLERS)
    return out


def account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key) if access_key else ""


class Middleware:
    def __init__(self, app: Any, data: SandboxData, traffic: Traffic | None = None) -> None:
        self.app = app
        self.data = data
        self.traffic = traffic or Traffic()
        self.extra = extra_handlers()

    def _denied(self, call: Call, operation: str) -> bool:
        """A deny rule names `service:Operation`; REST requests carry no operation name, so theirs is
        found from botocore's service model (method + URI template)."""
        return (call.account_id, f"{call.service}:{operation}") in self.data.denied

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == CALLS_PATH:
            return self.calls_endpoint(environ, start_response)
        if path == STATS_PATH:
            return self.stats_endpoint(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        call = describe(environ, body)
        call.account_id = account_of(call.access_key)
        self.data.count(call.account_id, call.service, call.operation)
        operation = call.operation or rest_operation(call.service, call.method, call.path)
        traffic = self.traffic
        family = traffic.model.family(call.service, operation, call.method)
        admitted = traffic.admit(call, family)
        response = self._answer(environ, call, operation, body) if admitted else throttled_answer(call)
        status, headers, payload = response
        traffic.finish(call, operation, family, payload, throttled=not admitted)
        sized = any(k.lower() == "content-length" for k in headers)
        extra = [] if sized else [("Content-Length", str(len(payload)))]
        start_response(f"{status} X", list(headers.items()) + extra)
        return [payload]

    def _answer(self, environ: dict[str, Any], call: Call, operation: str, body: bytes) -> Response:
        if self.data.denied and self._denied(call, operation):
            return access_denied(call)
        cache = self.traffic.cache
        read = self.traffic.model.is_read(operation, call.method)
        if cache is not None and not read:
            cache.invalidate()  # before and after a change: a read racing it is not kept
        try:
            handlers = self.extra.get(call.service, {})
            handler = handlers.get(call.operation)
            if handler is None and not call.operation and handlers:  # REST: named by botocore's model
                handler = handlers.get(operation)
            response = handler(call, self.data) if handler is not None else None
            if response is not None:
                return response
            if cache is None or not self.traffic.cacheable(call, operation) or rds_pending():
                return self._moto(environ, body)
            key = cache_key(call, environ.get("QUERY_STRING", ""))
            found = cache.get(key)
            if found is not None:
                return found
            generation = cache.generation
            response = self._moto(environ, body)
            if 200 <= response[0] < 300:
                cache.put(key, generation, response)
            return response
        finally:
            if cache is not None and not read:
                cache.invalidate()

    def _moto(self, environ: dict[str, Any], body: bytes) -> Response:
        """moto's answer, whole (status, headers, body)."""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        seen: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            seen["status"], seen["headers"] = status, headers
            return chunks.append

        chunks: list[bytes] = []
        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = dict(seen["headers"])  # a HEAD answer's Content-Length is the object's, kept
        return int(seen["status"].split(" ", 1)[0]), headers, b"".join(chunks)

    def calls_endpoint(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """GET: the request counts so far ({"account|service:Operation": n}); DELETE: reset them."""
        if environ.get("REQUEST_METHOD") == "DELETE":
            self.data.reset_counts()
        return _json(start_response, self.data.call_counts())

    def stats_endpoint(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """GET: calls, throttled, retries, CPU/wall seconds, waits, per operation and bucket; DELETE: reset."""
        if environ.get("REQUEST_METHOD") == "DELETE":
            self.traffic.reset()
        return _json(start_response, self.traffic.stats())


def _json(start_response: Callable[..., Any], doc: Any) -> Iterable[bytes]:
    import json

    payload = json.dumps(doc, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class AwsServer:
    """moto + opsbook's additions on http://127.0.0.1:<port>."""

    def __init__(self, data: SandboxData | None = None, traffic: Traffic | None = None) -> None:
        self.data = data or SandboxData()
        self.traffic = traffic or Traffic()
        self.data.on_change = self.invalidate
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> str:
        import logging

        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import ThreadedWSGIServer

        class Server(ThreadedWSGIServer):
            request_queue_size = LISTEN_BACKLOG

        from opsbook.sandbox.aws import fixes

        fixes.apply()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = Middleware(DomainDispatcherApplication(create_backend_app), self.data, self.traffic)
        self._server = Server("127.0.0.1", port, app)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-aws", daemon=True)
        self._thread.start()
        return self.url

    def invalidate(self) -> None:
        """Drop the read-response cache: the sandbox changed state itself (a timer, an event, seeding)."""
        cache = self.traffic.cache
        if cache is not None:
            cache.invalidate()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.data.cancel_timers()
