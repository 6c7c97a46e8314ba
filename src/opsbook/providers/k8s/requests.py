"""What a Kubernetes API request asks for, in RBAC terms: (`verb`, `resource`), e.g. ("list", "pods"),
("get", "pods/log"), ("list", "deployments.apps"), ("list", "nodes.metrics.k8s.io") — the words of
`kubectl auth can-i <verb> <resource>`, used for `--stats` and for AccessDenied messages.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def rbac_call(method: str, url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) >= 2 and segs[0] == "api":
        group, rest = "", segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis":
        group, rest = segs[1], segs[3:]
    else:  # /version, /healthz, discovery
        return "get", "/" + "/".join(segs)
    if not rest:
        return "get", "/" + "/".join(segs)
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    resource, name = rest[0], rest[1] if len(rest) > 1 else None
    if len(rest) > 2:
        resource += "/" + rest[2]
    method = method.upper()
    if method == "GET":
        watching = parse_qs(parts.query).get("watch", [""])[0] in ("1", "true")
        verb = "watch" if watching else ("get" if name else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    base, _, sub = resource.partition("/")
    qualified = f"{base}.{group}" if group else base
    return verb, qualified + (f"/{sub}" if sub else "")


def status_message(body: bytes | str | None) -> str:
    """The `message` of a Kubernetes `Status` body, or the body's first line."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        doc = json.loads(text)
    except ValueError:
        return text.strip().splitlines()[0][:300] if text.strip() else ""
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""
