"""The one answer the sandbox gives when it throttles a request: the fault proxy's `throttle` mode and the
AWS endpoint's throttling model (aws/traffic.py) both call `throttle_response`.

The error is the one the service's botocore model declares for being throttled (API Gateway and Lambda:
`TooManyRequestsException` 429; EKS: `ThrottlingException` 429; DynamoDB, Logs: `ThrottlingException`),
with the status the model gives it; a service that declares none gets what AWS sends in its protocol
(EC2 `RequestLimitExceeded` 503, S3 `SlowDown` 503, query `Throttling` 400, JSON and CBOR
`ThrottlingException` 400, REST `ThrottlingException` 429/400). Either way it is a code botocore's
retry checker counts as throttling, so clients back off as they would from AWS.
"""

from __future__ import annotations

import functools
import json
from typing import Any

# the rate-limit codes of botocore's ThrottledRetryableChecker, in the order a declared one is preferred;
# LimitExceededException (a quota in most services), TransactionInProgress and PriorRequestNotComplete are
# on botocore's list too, but they are not "slow down"
RATE_CODES = (
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
)
# SigV4 signing names that are not botocore's service names
_MODEL_NAMES = {"monitoring": "cloudwatch", "elasticloadbalancing": "elbv2", "email": "ses"}
# per wire protocol, when the model declares nothing: (code, status)
DEFAULTS = {
    "ec2": ("RequestLimitExceeded", 503),
    "query": ("Throttling", 400),
    "json": ("ThrottlingException", 400),
    "cbor": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 429),
    "rest-xml": ("ThrottlingException", 400),
}
MESSAGE = "Rate exceeded"


@functools.cache
def _model(service: str) -> dict[str, Any] | None:
    import botocore.exceptions
    import botocore.loaders

    try:
        model: dict[str, Any] = botocore.loaders.create_loader().load_service_model(
            _MODEL_NAMES.get(service, service), "service-2"
        )
    except (botocore.exceptions.DataNotFoundError, botocore.exceptions.UnknownServiceError):
        return None
    return model


def wire_protocol(service: str, headers: dict[str, str]) -> str:
    """The protocol a request used (`headers` lower-cased): ec2, query, json, cbor, rest-json or rest-xml."""
    if service == "ec2":
        return "ec2"
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return "cbor"
    if "x-amz-target" in headers:
        return "json"
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    model = _model(service)
    declared = (model or {}).get("metadata", {}).get("protocol")
    return "rest-xml" if service == "s3" or declared == "rest-xml" else "rest-json"


@functools.cache
def throttling_error(service: str, protocol: str) -> tuple[str, int]:
    """(error code, HTTP status) of `service` throttling a request in `protocol`: the model's declared
    throttling exception (a RATE_CODES name, or a shape marked retryable-throttling) where it has one."""
    if service == "s3":
        return "SlowDown", 503
    code, status = DEFAULTS[protocol]
    if protocol == "ec2":
        return code, status
    declared = {
        (shape.get("error") or {}).get("code") or name: shape
        for name, shape in ((_model(service) or {}).get("shapes") or {}).items()
        if shape.get("exception")
    }
    marked = [c for c, s in declared.items() if (s.get("retryable") or {}).get("throttling")]
    found = next((c for c in RATE_CODES if c in declared), None) or next(iter(marked), None)
    if found is None:
        return code, status
    return found, (declared[found].get("error") or {}).get("httpStatusCode") or status


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    head = bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
    return head + data


def _cbor_map(doc: dict[str, str]) -> bytes:
    """A small CBOR map of short text strings (what an rpc-v2-cbor error body is)."""
    out = bytes([0xA0 | len(doc)])
    for k, v in doc.items():
        out += _cbor_text(k) + _cbor_text(v)
    return out


def throttle_response(service: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the throttling error `service` sends, in the wire protocol the request
    used (`headers` lower-cased)."""
    protocol = wire_protocol(service, headers)
    code, status = throttling_error(service, protocol)
    if protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code><Message>"
            f"{MESSAGE}</Message></Error></Errors><RequestID>opsbook-sandbox</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if protocol == "rest-xml" and service == "s3":
        body = f"<Error><Code>{code}</Code><Message>{MESSAGE}</Message></Error>"
        return status, {"Content-Type": "application/xml"}, body.encode()
    if protocol in ("query", "rest-xml"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{MESSAGE}</Message>"
            "</Error><RequestId>opsbook-sandbox</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    error = {"__type": code, "message": MESSAGE}
    if protocol == "cbor":
        return (
            status,
            {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
            _cbor_map(error),
        )
    if protocol == "json":
        return status, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(error).encode()
    hdrs = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, hdrs, json.dumps({"message": MESSAGE}).encode()
