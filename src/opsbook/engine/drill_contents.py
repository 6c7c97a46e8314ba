"""What a Velero backup holds, read the way the velero CLI reads it (`velero backup describe --details`,
`velero backup download`): a `DownloadRequest` (velero.io/v1) for the backup's `BackupContents`, which
the Velero server answers with a pre-signed URL of `<backup>.tar.gz` in its bucket; the tarball is read in
memory, never extracted to disk.

Velero's layout (backup format 1.1.0): each item as JSON at `resources/<resource>[.<group>]/namespaces/
<ns>/<name>.json` or `.../cluster/<name>.json`, and again under `<version>-preferredversion/` (the same
object; other versions only with the EnableAPIGroupVersions feature): one item per (resource, namespace,
name).
"""

from __future__ import annotations

import io
import json
import ssl
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from opsbook.core.errors import TargetFailed
from opsbook.procedures.velero import velero_create, velero_delete, velero_get

Obj = dict[str, Any]
MAX_BYTES = 512 * 1024 * 1024  # a tarball larger than this is refused rather than held in memory
MAX_ITEM_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """One backed-up object: `resource` as Velero names its directory (`configmaps`, `deployments.apps`)."""

    resource: str
    namespace: str  # "" when cluster-scoped
    name: str
    obj: Obj

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or self.resource)


def parse_tarball(data: bytes) -> dict[tuple[str, str, str], Item]:
    """The items of a Velero backup tarball by (resource, namespace, name)."""
    items: dict[tuple[str, str, str], Item] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or parts[0] != "resources" or not member.name.endswith(".json"):
                continue
            where = parts[2:] if parts[2] in ("namespaces", "cluster") else parts[3:]
            if not where or (where[0] == "namespaces" and len(where) != 3) or (
                    where[0] == "cluster" and len(where) != 2):  # fmt: skip
                continue
            namespace = where[1] if where[0] == "namespaces" else ""
            key = (parts[1], namespace, where[-1].removesuffix(".json"))
            if key in items or member.size > MAX_ITEM_BYTES:
                continue
            handle = tar.extractfile(member)
            if handle is not None:
                items[key] = Item(*key, json.loads(handle.read()))
    return items


def _context(api: Any) -> ssl.SSLContext:
    """The system's CAs plus the cluster's: a real pre-signed URL is the bucket's, the sandbox's its API's."""
    conf = api.configuration
    if not conf.verify_ssl:
        return ssl._create_unverified_context()  # noqa: S323 - the kubeconfig says insecure-skip-tls-verify
    ctx = ssl.create_default_context()
    if conf.ssl_ca_cert:
        ctx.load_verify_locations(cafile=conf.ssl_ca_cert)
    return ctx


def _fetch(api: Any, url: str, where: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise TargetFailed(f"{where}: download URL is not http(s)")
    try:
        with urllib.request.urlopen(url, context=_context(api), timeout=60) as resp:  # noqa: S310 - checked
            data: bytes = resp.read(MAX_BYTES + 1)
    except OSError as exc:
        raise TargetFailed(f"{where}: download failed ({exc})") from None
    if len(data) > MAX_BYTES:
        raise TargetFailed(f"{where}: the backup tarball is larger than {MAX_BYTES // 2**20} MiB")
    return data


def download_contents(
    api: Any, velero_ns: str, backup: str, request_name: str, labels: dict[str, str], timeout: float = 60,
    interval: float = 0.5,
) -> dict[tuple[str, str, str], Item]:  # fmt: skip
    """The backup's items, through a DownloadRequest named `request_name` (deleted again at the end)."""
    where = f"backup {backup}"
    spec = {"target": {"kind": "BackupContents", "name": backup}}
    velero_create(api, "downloadrequests", "DownloadRequest", velero_ns, request_name, spec, labels)
    try:
        deadline = time.monotonic() + timeout
        while True:
            doc = velero_get(api, velero_ns, "downloadrequests", request_name) or {}
            status = doc.get("status") or {}
            if status.get("phase") == "Processed" and status.get("downloadURL"):
                break
            if time.monotonic() > deadline:
                raise TargetFailed(f"{where}: Velero did not process DownloadRequest {request_name} in "
                                   f"{timeout:g} s (is the Velero server running?)")  # fmt: skip
            time.sleep(interval)
        data = _fetch(api, str(status["downloadURL"]), where)
    finally:
        velero_delete(api, "downloadrequests", velero_ns, request_name)
    try:
        return parse_tarball(data)
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise TargetFailed(f"{where}: the backup tarball cannot be read ({exc})") from None
