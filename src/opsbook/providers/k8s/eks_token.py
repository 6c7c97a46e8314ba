"""EKS bearer tokens, made the way `aws eks get-token` (and aws-iam-authenticator) makes them.

A token is `k8s-aws-v1.` + base64url (no padding) of a presigned STS `GetCallerIdentity` URL whose signature
covers the `x-k8s-aws-id: <cluster name>` header; the URL itself expires after 60 s (`X-Amz-Expires=60`) but
EKS accepts the token for 15 minutes after it was signed. `EksTokenSource` signs a new one after 10 minutes,
so a token in use is never close to expiry. Presigning is local: it makes no API call.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60  # seconds, as `aws eks get-token`
TOKEN_LIFETIME = 15 * 60  # EKS accepts a token this long after signing
REFRESH_AFTER = 10 * 60  # sign a new one after this long


def _register_header_handlers(sts: Any) -> None:
    """Carry `x-k8s-aws-id` from the call's params into the signed request headers."""

    def take_param(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if CLUSTER_HEADER in params:
            context[CLUSTER_HEADER] = params.pop(CLUSTER_HEADER)

    def add_header(request: Any, **_: Any) -> None:
        if CLUSTER_HEADER in request.context:
            request.headers[CLUSTER_HEADER] = request.context[CLUSTER_HEADER]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", take_param)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_header)


def presigned_url(session: Any, cluster_name: str, region: str, endpoint_url: str | None = None) -> str:
    """The presigned GetCallerIdentity URL for `cluster_name` (regional STS endpoint, SigV4)."""
    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    sts = session.client("sts", **kwargs)
    _register_header_handlers(sts)
    url: str = sts.generate_presigned_url(
        "get_caller_identity",
        Params={CLUSTER_HEADER: cluster_name},
        ExpiresIn=URL_EXPIRES,
        HttpMethod="GET",
    )
    return url


def encode_token(url: str) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The presigned URL inside a token (for tests and the sandbox's validator)."""
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError(f"not an EKS token (no {TOKEN_PREFIX} prefix)")
    body = token[len(TOKEN_PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def eks_token(session: Any, cluster_name: str, region: str, endpoint_url: str | None = None) -> str:
    return encode_token(presigned_url(session, cluster_name, region, endpoint_url))


class EksTokenSource:
    """A thread-safe current token for one cluster, re-signed `refresh_after` seconds after the last one."""

    def __init__(
        self,
        session: Any,
        cluster_name: str,
        region: str,
        endpoint_url: str | None = None,
        *,
        refresh_after: float = REFRESH_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.cluster_name = cluster_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.refresh_after = refresh_after
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._signed_at = 0.0
        self.signed = 0  # how many tokens were made (tests, stats)

    def get(self) -> str:
        with self._lock:
            now = self.clock()
            if self._token is None or now - self._signed_at >= self.refresh_after:
                self._token = eks_token(self.session, self.cluster_name, self.region, self.endpoint_url)
                self._signed_at = now
                self.signed += 1
            return self._token
