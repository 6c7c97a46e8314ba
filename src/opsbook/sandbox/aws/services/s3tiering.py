"""S3 Intelligent-Tiering configurations, which moto accepts and forgets (its PUT is a silent no-op).

Put / Get / List / Delete answer in S3's rest-xml format. State: `data.extra["s3"][account][bucket][id]`
holds the configuration element as XML text. `wire.describe()` names these operations from the
`?intelligent-tiering` query parameter.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response

SERVICE = "s3"
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
TIERS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}


def s3_error(code: str, message: str, status: int) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{uuid.uuid4()}</RequestId></Error>"
    ).encode()
    return status, {"Content-Type": "application/xml"}, body


def xml_ok(body: str, status: int = 200) -> Response:
    payload = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode() if body else b""
    return status, {"Content-Type": "application/xml", "x-amz-request-id": uuid.uuid4().hex}, payload


def bucket_of(call: Call) -> str:
    path = call.path.lstrip("/")
    if path:
        return path.split("/", 1)[0]
    return call.headers.get("host", "").split(".", 1)[0]


def bucket_configs(call: Call, data: SandboxData) -> tuple[dict[str, str] | None, Response | None]:
    """The bucket's configurations, or the error S3 gives for a missing / foreign bucket."""
    from moto.s3.models import s3_backends

    name = bucket_of(call)
    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        return None, s3_error("NoSuchBucket", "The specified bucket does not exist", 404)
    if owner[1] != call.account_id:
        return None, s3_error("AccessDenied", "Access Denied", 403)
    with data.lock:
        store = data.extra.setdefault("s3", {}).setdefault(call.account_id, {})
        return store.setdefault(name, {}), None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_config(body: bytes, wanted_id: str) -> tuple[str | None, str]:
    """The configuration re-serialised without namespaces, or (None, problem)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return None, f"malformed XML: {exc}"
    for el in root.iter():
        el.tag = _local(el.tag)
    if root.tag != "IntelligentTieringConfiguration":
        return None, "expected an IntelligentTieringConfiguration element"
    if (root.findtext("Id") or "") != wanted_id:
        return None, "the configuration Id must equal the id query parameter"
    if root.findtext("Status") not in ("Enabled", "Disabled"):
        return None, "Status must be Enabled or Disabled"
    tierings = root.findall("Tiering")
    if not tierings:
        return None, "at least one Tiering is required"
    for t in tierings:
        tier = t.findtext("AccessTier") or ""
        days = int(t.findtext("Days") or 0)
        low, high = TIERS.get(tier, (0, -1))
        if not low <= days <= high:
            return None, f"Tiering {tier or '?'}: Days must be between {low} and {high}"
    return ET.tostring(root, encoding="unicode"), ""


def put_config(call: Call, data: SandboxData) -> Response:
    configs, err = bucket_configs(call, data)
    if configs is None:
        return err  # type: ignore[return-value]
    cid = (call.query.get("id") or [""])[0]
    text, problem = parse_config(call.body, cid)
    if text is None:
        return s3_error("MalformedXML", problem, 400)
    with data.lock:
        configs[cid] = text
    return xml_ok("", 200)


def get_config(call: Call, data: SandboxData) -> Response:
    configs, err = bucket_configs(call, data)
    if configs is None:
        return err  # type: ignore[return-value]
    cid = (call.query.get("id") or [""])[0]
    if cid not in configs:
        return s3_error("NoSuchConfiguration", "The specified configuration does not exist.", 404)
    return xml_ok(
        configs[cid].replace(
            "<IntelligentTieringConfiguration>", f'<IntelligentTieringConfiguration xmlns="{NS}">', 1
        )
    )


def list_configs(call: Call, data: SandboxData) -> Response:
    configs, err = bucket_configs(call, data)
    if configs is None:
        return err  # type: ignore[return-value]
    inner = "".join(configs[k] for k in sorted(configs))
    return xml_ok(
        f'<ListBucketIntelligentTieringConfigurationsOutput xmlns="{NS}"><IsTruncated>false</IsTruncated>'
        f"{inner}</ListBucketIntelligentTieringConfigurationsOutput>"
    )


def delete_config(call: Call, data: SandboxData) -> Response:
    configs, err = bucket_configs(call, data)
    if configs is None:
        return err  # type: ignore[return-value]
    cid = (call.query.get("id") or [""])[0]
    if cid not in configs:
        return s3_error("NoSuchConfiguration", "The specified configuration does not exist.", 404)
    with data.lock:
        del configs[cid]
    return xml_ok("", 204)


HANDLERS: dict[str, Any] = {
    "PutBucketIntelligentTieringConfiguration": put_config,
    "GetBucketIntelligentTieringConfiguration": get_config,
    "ListBucketIntelligentTieringConfigurations": list_configs,
    "DeleteBucketIntelligentTieringConfiguration": delete_config,
}
