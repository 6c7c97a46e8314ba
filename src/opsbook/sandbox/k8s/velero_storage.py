"""The sandbox Velero's object storage: backup tarballs in Velero's layout, handed out by download URL.

Velero keeps a backup's contents in its bucket as `<name>.tar.gz`; `velero backup describe --details` and
`velero backup download` read it through a `DownloadRequest` (velero.io/v1, `spec.target.kind`
`BackupContents` or `BackupResourceList`), which the Velero server answers with `status.downloadURL`, a
pre-signed URL of the object. The sandbox answers it the same way: the URL points at the fake API server
(`DOWNLOAD_PREFIX` + an unguessable token, no bearer token needed, as a pre-signed URL needs none), served
until `MAX_BLOBS` newer downloads have replaced it.

The tarball follows Velero's backup format 1.1.0: `metadata/version`, and every item as JSON at
`resources/<resource>[.<group>]/namespaces/<ns>/<name>.json` (`.../cluster/<name>.json` when cluster-scoped),
again under `<resource>/<version>-preferredversion/...`. The resource list is
`{"<apiVersion>/<Kind>": ["<ns>/<name>", ...]}`, gzipped JSON.
"""

from __future__ import annotations

import gzip
import io
import json
import secrets
import tarfile
import threading
from collections import OrderedDict
from typing import Any

from opsbook.sandbox.k8s.resources import RESOURCES

Obj = dict[str, Any]
DOWNLOAD_PREFIX = "/_sandbox/velero-downloads/"
MAX_BLOBS = 32
FORMAT_VERSION = "1.1.0"
_BY_KIND = {(rt.api_version, rt.kind): rt for rt in RESOURCES}


class ObjectStorage:
    """Blobs by token, the newest `MAX_BLOBS` kept."""

    def __init__(self) -> None:
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._blobs[token] = data
            while len(self._blobs) > MAX_BLOBS:
                self._blobs.popitem(last=False)
        return token

    def get(self, token: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(token)


def _add(tar: tarfile.TarFile, path: str, data: bytes) -> None:
    info = tarfile.TarInfo(path)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _paths(obj: Obj) -> list[str]:
    rt = _BY_KIND.get((obj.get("apiVersion", ""), obj.get("kind", "")))
    if rt is None:
        return []
    m = obj.get("metadata") or {}
    where = f"namespaces/{m.get('namespace')}" if rt.namespaced else "cluster"
    return [f"resources/{rt.key}/{where}/{m.get('name')}.json",
            f"resources/{rt.key}/{rt.version}-preferredversion/{where}/{m.get('name')}.json"]  # fmt: skip


def contents_tarball(items: list[Obj]) -> bytes:
    """A backup's contents as Velero writes `<backup>.tar.gz`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        _add(tar, "metadata/version", FORMAT_VERSION.encode())
        for obj in items:
            data = json.dumps(obj, sort_keys=True).encode()
            for path in _paths(obj):
                _add(tar, path, data)
    return out.getvalue()


def resource_list(items: list[Obj]) -> bytes:
    """A backup's resource list as Velero writes `<backup>-resource-list.json.gz`."""
    listed: dict[str, list[str]] = {}
    for obj in items:
        m = obj.get("metadata") or {}
        name = f"{m['namespace']}/{m['name']}" if m.get("namespace") else m.get("name", "")
        listed.setdefault(f"{obj.get('apiVersion')}/{obj.get('kind')}", []).append(name)
    return gzip.compress(json.dumps(listed, sort_keys=True).encode())
