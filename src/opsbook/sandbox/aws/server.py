"""The AWS half of the sandbox: moto's server in-process on 127.0.0.1, behind a thin middleware that
serves operations moto lacks (one module per service), applies access-denied rules, and counts calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, access_denied, describe, rest_operation

Handler = Callable[[Call, SandboxData], Response | None]  # None: moto answers
CALLS_PATH = "/opsbook-api/calls"  # GET the request counts, DELETE to reset them (benchmarks)


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
    def __init__(self, app: Any, data: SandboxData) -> None:
        self.app = app
        self.data = data
        self.extra = extra_handlers()

    def _denied(self, call: Call) -> bool:
        """A deny rule names `service:Operation`; REST requests carry no operation name, so theirs is
        found from botocore's service model (method + URI template)."""
        operation = call.operation or rest_operation(call.service, call.method, call.path)
        return (call.account_id, f"{call.service}:{operation}") in self.data.denied

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CALLS_PATH:
            return self.calls_endpoint(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        call = describe(environ, body)
        call.account_id = account_of(call.access_key)
        self.data.count(call.account_id, call.service, call.operation)
        response: Response | None = None
        if self.data.denied and self._denied(call):
            response = access_denied(call)
        else:
            handlers = self.extra.get(call.service, {})
            handler = handlers.get(call.operation)
            if handler is None and not call.operation and handlers:  # REST: named by botocore's model
                handler = handlers.get(rest_operation(call.service, call.method, call.path))
            if handler is not None:
                response = handler(call, self.data)
        if response is not None:
            status, headers, payload = response
            start_response(f"{status} X", list(headers.items()) + [("Content-Length", str(len(payload)))])
            return [payload]
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    def calls_endpoint(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """GET: the request counts so far ({"account|service:Operation": n}); DELETE: reset them."""
        import json

        if environ.get("REQUEST_METHOD") == "DELETE":
            self.data.reset_counts()
        payload = json.dumps(self.data.call_counts(), sort_keys=True).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]


class AwsServer:
    """moto + opsbook's additions on http://127.0.0.1:<port>."""

    def __init__(self, data: SandboxData | None = None) -> None:
        self.data = data or SandboxData()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> str:
        import logging

        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from opsbook.sandbox.aws import fixes

        fixes.apply()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = Middleware(DomainDispatcherApplication(create_backend_app), self.data)
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-aws", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.data.cancel_timers()
