"""Helpers to answer requests in AWS's wire formats from the sandbox's own handlers."""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/")


@dataclass
class Call:
    """What the sandbox knows about one incoming request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    access_key: str = ""
    region: str = ""
    service: str = ""
    operation: str = ""
    account_id: str = ""
    form: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def describe(environ: dict[str, Any], body: bytes) -> Call:
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    call = Call(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=environ.get("PATH_INFO", "/"),
        query=parse_qs(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
    )
    m = _CREDENTIAL.search(headers.get("authorization", ""))
    if m:
        call.access_key, call.region, call.service = m.group(1), m.group(2), m.group(3)
    target = headers.get("x-amz-target", "")
    if target:
        call.operation = target.rsplit(".", 1)[-1]
    elif "application/x-www-form-urlencoded" in headers.get("content-type", ""):
        call.form = parse_qs(body.decode("utf-8", "replace"))
        call.operation = (call.form.get("Action") or [""])[0]
    elif call.query.get("Action"):
        call.operation = call.query["Action"][0]
    elif "smithy-protocol" in headers or call.path.startswith("/service/"):
        call.operation = call.path.rstrip("/").rsplit("/", 1)[-1]
    elif call.service == "s3":
        call.operation = s3_operation(call.method, environ.get("QUERY_STRING", ""), "id" in call.query)
    return call


def rest_operation(service: str, method: str, path: str, query_string: str = "") -> str:
    """The operation a REST (rest-json / rest-xml) request is, from botocore's own service model: the
    route whose method, URI template and query keys (`?session`, `?list-type=2`) match, the most literal
    one first. "" when none matches."""
    keys = {part.split("=", 1)[0] for part in query_string.split("&") if part}
    for verb, pattern, needs, name in _rest_routes(service):
        if verb == method and needs <= keys and pattern.match(path):
            return name
    return ""


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], frozenset[str], str]]:
    import botocore.exceptions
    import botocore.loaders

    try:
        model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    except botocore.exceptions.DataNotFoundError:
        return []
    if model.get("metadata", {}).get("protocol") not in ("rest-json", "rest-xml"):
        return []
    routes = []
    for name, op in model.get("operations", {}).items():
        http = op.get("http", {})
        uri, _, query = http.get("requestUri", "/").partition("?")
        needs = frozenset(part.split("=", 1)[0] for part in query.split("&") if part)
        literal = len(re.sub(r"\{[^}]*\}", "", uri))
        regex = re.sub(r"\\\{[^}]*?\\\+\\\}", ".+", re.escape(uri))
        regex = re.sub(r"\\\{[^}]*?\\\}", "[^/]+", regex)
        routes.append(
            (len(needs), literal, http.get("method", "GET"), re.compile(f"^{regex}/?$"), needs, name)
        )
    routes.sort(key=lambda r: (-r[0], -r[1]))
    return [(verb, pattern, needs, name) for _, _, verb, pattern, needs, name in routes]


S3_SUBRESOURCES = {"intelligent-tiering": "BucketIntelligentTieringConfiguration"}


def s3_operation(method: str, query_string: str, has_id: bool) -> str:
    """S3 REST names its bucket operations by a bare query key (`?intelligent-tiering`); only the
    sub-resources the sandbox serves itself are recognised, anything else is left to moto ("")."""
    keys = {part.split("=", 1)[0] for part in query_string.split("&") if part}
    for key, noun in S3_SUBRESOURCES.items():
        if key in keys:
            if method == "GET":
                return f"Get{noun}" if has_id else f"List{noun}s"
            verb = {"PUT": "Put", "DELETE": "Delete"}.get(method)
            return f"{verb}{noun}" if verb else ""
    return ""


Response = tuple[int, dict[str, str], bytes]


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str).encode()
    return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": str(uuid.uuid4())}, body


def json_error(code: str, message: str, status: int = 400) -> Response:
    return json_response({"__type": code, "message": message}, status)


def xml_error(code: str, message: str, status: int = 403) -> Response:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return status, {"Content-Type": "text/xml"}, body


def rest_json_error(code: str, message: str, status: int = 403) -> Response:
    body = json.dumps({"message": message, "__type": code}).encode()
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body


def access_denied(call: Call) -> Response:
    msg = f"User is not authorized to perform: {call.service}:{call.operation}"
    if call.headers.get("x-amz-target") or "json" in call.headers.get("content-type", ""):
        return json_error("AccessDeniedException", msg)
    if call.form or call.query.get("Action"):
        return xml_error("AccessDenied", msg)
    return rest_json_error("AccessDeniedException", msg)
