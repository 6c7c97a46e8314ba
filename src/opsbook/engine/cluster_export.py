"""`opsbook backup export-cluster`: every resource kind a cluster's API serves, written as YAML to re-apply.

Order of work:
1. refuse a DIR that exists and is not empty (unless `force`), before touching the cluster;
2. discovery: `/api` (core v1) and `/apis` (each group's preferred version); a kind is exported when it
   has the `list` verb, is not a subresource and is not noise (`NOISE`, `NOISE_GROUPS`);
3. list each kind cluster-wide, leave out objects a controller owns (their owner recreates them), strip
   the fields the server sets (`RUNTIME_META`, `status`, a Service's allocated cluster IPs) and redact
   Secret values unless `include_secrets`;
4. write one multi-document YAML per kind plus `index.json` and `README.md` into a temporary directory
   beside DIR (made before step 2, so a DIR that cannot be written costs no listing), then rename it into
   place: a failure leaves DIR as it was.
Any error reading the cluster ends the export (exit 3) with nothing written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from opsbook.core.config import Config
from opsbook.core.errors import InputError

Obj = dict[str, Any]
Progress = Callable[[str], None]

# (group, resource) never exported: records of what happened, not configuration; create-only APIs have
# no `list` verb and fall out by themselves (tokenreviews, subjectaccessreviews, bindings...).
NOISE = {("", "events"), ("events.k8s.io", "events"), ("", "componentstatuses"), ("", "bindings")}
NOISE_GROUPS = {"metrics.k8s.io"}
RUNTIME_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                "ownerReferences", "deletionTimestamp", "deletionGracePeriodSeconds")  # fmt: skip
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
REDACTED = "<redacted>"  # not base64: kubectl refuses to apply a redacted Secret over a live one


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        return (
            f"/apis/{self.group}/{self.version}/{self.resource}" if self.group else f"/api/v1/{self.resource}"
        )

    @property
    def file(self) -> str:
        return f"{self.group or 'core'}_{self.version}_{self.kind}.yaml"


@dataclass
class Export:
    cluster: str
    directory: Path
    server_version: str
    include_secrets: bool
    kinds: list[Obj] = field(default_factory=list)

    def summary(self) -> Obj:
        return {"cluster": self.cluster, "directory": str(self.directory), "server_version": self.server_version,
                "include_secrets": self.include_secrets, "kinds": len(self.kinds),
                "objects": sum(k["count"] for k in self.kinds),
                "files": sum(1 for k in self.kinds if k["file"])}  # fmt: skip


def discover(api: Any) -> list[Kind]:
    """The kinds to export, core first, then each group's preferred version in the server's order."""
    lists = [("", "v1", api.get_json("/api/v1"))]
    for group in api.get_json("/apis").get("groups") or []:
        name = group.get("name", "")
        preferred = (group.get("preferredVersion") or {}).get("version")
        if name in NOISE_GROUPS or not preferred:
            continue
        lists.append((name, preferred, api.get_json(f"/apis/{name}/{preferred}")))
    kinds: list[Kind] = []
    for group, version, doc in lists:
        for r in doc.get("resources") or []:
            resource = r.get("name", "")
            if "/" in resource or "list" not in (r.get("verbs") or []) or (group, resource) in NOISE:
                continue
            kinds.append(Kind(group, version, resource, r.get("kind", ""), bool(r.get("namespaced"))))
    return kinds


def _controlled(obj: Obj) -> bool:
    return any(ref.get("controller") for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def strip_runtime(meta: Obj) -> Obj:
    """A copy of an object's (or a pod template's) metadata without the fields the server sets."""
    return {k: v for k, v in meta.items() if k not in RUNTIME_META}


def clean(kind: Kind, obj: Obj, include_secrets: bool) -> Obj:
    """`obj` as it could be re-applied: no server-set fields, Secret values redacted unless asked for."""
    out = {"apiVersion": kind.api_version, "kind": kind.kind, **obj}
    out.pop("status", None)
    meta = out["metadata"] = strip_runtime(out.get("metadata") or {})
    if kind.kind == "Service" and kind.group == "":
        spec = out["spec"] = dict(out.get("spec") or {})
        if spec.get("clusterIP") != "None":  # allocated by the target cluster; headless stays headless
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    if kind.kind == "Secret" and kind.group == "" and not include_secrets:
        for key in ("data", "stringData"):
            if out.get(key):
                out[key] = dict.fromkeys(out[key], REDACTED)
        annotations = dict(meta.get("annotations") or {})
        if annotations.pop(LAST_APPLIED, None) is not None:  # holds the values too
            meta["annotations"] = annotations
    return out


def check_directory(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"-o {directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise InputError(f"-o {directory}: directory is not empty (use --force to replace it)")
    if not directory.parent.is_dir():
        raise InputError(f"-o {directory}: parent directory {directory.parent} does not exist")


def export_cluster(
    cfg: Config, cluster: str, directory: Path, *, include_secrets: bool = False, force: bool = False,
    progress: Progress = lambda _: None,
) -> Export:  # fmt: skip
    from opsbook.engine.estate import expand
    from opsbook.engine.workload import cluster_api

    directory = directory.expanduser().resolve()  # `-o .` names the directory itself, renamed as a whole
    check_directory(directory, force)
    cfg = expand(cfg)  # clusters the Atmos stacks add, as in a run
    if cluster not in (names := [c.name for c in cfg.clusters]):
        raise InputError(
            f"--cluster {cluster}: no such cluster (have: {', '.join(names) or 'none configured'})"
        )
    try:  # made first: a DIR that cannot be written is refused before the cluster is listed
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    except OSError as exc:
        raise InputError(
            f"-o {directory}: cannot write in {directory.parent} ({exc.strerror or exc})"
        ) from None
    try:
        with cluster_api(cfg, cluster, "export cluster") as api:
            version = str(api.get_json("/version").get("gitVersion", ""))
            kinds = discover(api)
            progress(f"cluster {cluster} ({version}): {len(kinds)} kinds to export")
            listed: list[tuple[Kind, list[Obj], int]] = []
            for i, kind in enumerate(kinds, 1):
                items = api.list_items(kind.path)
                kept = [clean(kind, o, include_secrets) for o in items if not _controlled(o)]
                kept.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"].get("name", "")))
                listed.append((kind, kept, len(items) - len(kept)))
                progress(f"[{i}/{len(kinds)}] {kind.api_version} {kind.kind}: {len(kept)}")
        result = Export(cluster, directory, version, include_secrets)
        _write(result, listed, tmp)
        _replace(tmp, directory, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _write(result: Export, listed: list[tuple[Kind, list[Obj], int]], tmp: Path) -> None:
    for kind, objs, owned in listed:
        if objs:
            (tmp / kind.file).write_text(yaml.safe_dump_all(objs, sort_keys=False), encoding="utf-8")
        result.kinds.append({"group": kind.group, "version": kind.version, "kind": kind.kind,
                             "resource": kind.resource, "namespaced": kind.namespaced, "count": len(objs),
                             "owned_skipped": owned, "file": kind.file if objs else None})  # fmt: skip
    index = result.summary() | {"time": datetime.now(UTC).isoformat(timespec="seconds"),
                                "secrets": "values" if result.include_secrets else "redacted",
                                "kinds": result.kinds}  # fmt: skip
    (tmp / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    (tmp / "README.md").write_text(_readme(result), encoding="utf-8")


def _replace(tmp: Path, directory: Path, force: bool) -> None:
    """Rename `tmp` to `directory`; an old directory (empty, or any with `force`) goes only after that."""
    check_directory(directory, force)  # again: something may have appeared while we listed
    old = None
    if directory.exists():
        old = directory.with_name(f"{tmp.name}.old")
        directory.rename(old)
    try:
        tmp.rename(directory)
    except OSError:
        if old is not None:
            old.rename(directory)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _readme(result: Export) -> str:
    secrets = (
        "Secret values ARE included (--include-secrets): keep this directory as secret as the cluster's Secrets."
        if result.include_secrets
        else f"Secret values are NOT included: every key of `data`/`stringData` reads `{REDACTED}`, which kubectl "
        "refuses to apply, so a redacted Secret never overwrites a live one. Fill them in (or skip the Secret "
        "file) before re-applying."
    )
    return (
        f"# Export of cluster {result.cluster}\n\n"
        f"Written by `opsbook backup export-cluster` (server {result.server_version}); `index.json` lists every "
        "kind with its count and file.\n\n"
        "One multi-document YAML per kind, `<group>_<version>_<Kind>.yaml` (`core` for the core group). "
        "Server-set fields are gone (uid, resourceVersion, creationTimestamp, generation, managedFields, "
        "selfLink, ownerReferences, status; a Service's clusterIP/clusterIPs unless headless), and objects a "
        "controller owns (Pods of a ReplicaSet, ReplicaSets of a Deployment, ...) are left out: their owner "
        "recreates them. Re-apply with `kubectl apply -f <file>` (namespaces and CRDs first).\n\n"
        f"{secrets}\n"
    )
