"""A small Velero server: Backups and Restores (velero.io/v1) in any namespace move through their phases.

Backup: a new Backup (no phase, or `New`) turns `InProgress` with `startTimestamp` and
`progress.totalItems` (the included namespaces and the objects in them, see `ITEMS`), and `seconds` later
ends `Completed` with `completionTimestamp`, `expiration` (start + `spec.ttl`, default 720h) and
`progress.itemsBackedUp`; its contents are kept in this controller's memory (the sandbox's "object
storage") so a Restore can bring them back. The deliberate failure: an included namespace annotated
`sandbox.opsbook.io/velero-error: MESSAGE` is not backed up and counts one error; a backup with some
such namespaces ends `PartiallyFailed`, one where every included namespace has it `Failed`, with
`failureReason` naming the namespaces and their messages. A seeded Completed backup is given the
contents of its namespaces when first seen (and their count as its progress), so it can be restored too.

Restore: a new Restore of a Completed backup turns `InProgress`, and `seconds` later re-creates the
recorded objects (namespaces through `spec.namespaceMapping`, labelled `velero.io/backup-name` and
`velero.io/restore-name` as Velero does); an object that exists already is skipped with a warning, an
object the API refuses is an error. Ends `Completed` (warnings allowed) or `PartiallyFailed` (errors);
a backup that is missing, not Completed or without contents ends `Failed` with `failureReason`.
Deleting a Backup forgets its contents. The deliberately broken restore: an object annotated
`sandbox.opsbook.io/velero-restore: drop` when it was backed up is counted as restored but not re-created,
and one annotated `alter` comes back changed (a ConfigMap gains the key `sandbox-altered`, a pod template
the annotation of that name); the Restore still ends `Completed`, as a restore that silently loses or
changes an object would. A restore drill must find both.

DownloadRequest (`spec.target.kind` `BackupContents` or `BackupResourceList`, `spec.target.name` a
backup this controller holds the contents of) turns `Processed` with a `downloadURL` of the tarball or
resource list (`velero_storage.py`) and an `expiration` 10 minutes on.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from opsbook.core.cron import CronError, go_duration
from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.common import Obj, meta, notes_of
from opsbook.sandbox.k8s.resources import RESOURCES
from opsbook.sandbox.k8s.store import ClusterStore, timestamp
from opsbook.sandbox.k8s.velero_storage import DOWNLOAD_PREFIX, ObjectStorage, contents_tarball, resource_list

FAIL = "sandbox.opsbook.io/velero-error"
RESTORE_KNOB = "sandbox.opsbook.io/velero-restore"  # on a backed-up object: drop | alter
DOWNLOADS = {"BackupContents": contents_tarball, "BackupResourceList": resource_list}
SKIPPED = frozenset({"events", "events.events.k8s.io", "endpoints", "endpointslices.discovery.k8s.io",
                     "pods.metrics.k8s.io"})  # fmt: skip
# what a backup holds: every namespaced kind except Velero's own, events and what a controller derives
# (endpoints, and any object with an owner: the owner re-creates it)
ITEMS = tuple(
    {
        rt.key: rt
        for rt in reversed(RESOURCES)
        if rt.namespaced and rt.group != "velero.io" and rt.key not in SKIPPED
    }.values()
)  # one version per kind (autoscaling v1 and v2 are the same objects)
RUNTIME = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp")
DEFAULT_TTL = timedelta(hours=720)


def ttl(text: str) -> timedelta:
    """A Backup's `spec.ttl` (a Go duration, e.g. 720h0m0s); Velero's default 720h when none or zero."""
    try:
        return go_duration(text or "")
    except CronError:
        return DEFAULT_TTL


def _clean(obj: Obj) -> Obj:
    new = copy.deepcopy(obj)
    for key in RUNTIME:
        meta(new).pop(key, None)
    new.pop("status", None)
    return new


class VeleroController:
    def __init__(self, seconds: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.contents: dict[str, list[Obj]] = {}  # "namespace/backup" -> the objects it recorded
        self._started: dict[str, float] = {}  # uid -> when it turned InProgress
        self.storage = ObjectStorage()  # the tarballs DownloadRequests hand out
        self.base_url = ""  # the fake API server's URL, set when it starts (download URLs point there)

    def reconcile(self, store: ClusterStore) -> bool:
        changed = False
        backups = store.list("backups.velero.io")
        keys = {f"{meta(b)['namespace']}/{meta(b)['name']}" for b in backups}
        self.contents = {k: v for k, v in self.contents.items() if k in keys}
        for backup in backups:
            changed = self._backup(store, backup) or changed
        for restore in store.list("restores.velero.io"):
            changed = self._restore(store, restore) or changed
        for request in store.list("downloadrequests.velero.io"):
            changed = self._download(store, request) or changed
        return changed

    def _download(self, store: ClusterStore, request: Obj) -> bool:
        target, m = (request.get("spec") or {}).get("target") or {}, meta(request)
        items = self.contents.get(f"{m['namespace']}/{target.get('name', '')}")
        make = DOWNLOADS.get(target.get("kind", ""))
        if (request.get("status") or {}).get("phase") or items is None or make is None:
            return False  # as Velero: a request for what it does not hold stays unprocessed, then expires
        url = f"{self.base_url}{DOWNLOAD_PREFIX}{self.storage.put(make(items))}"
        expires = timestamp(datetime.now(UTC) + timedelta(minutes=10))
        status = {"phase": "Processed", "downloadURL": url, "expiration": expires}
        return self._status(store, "downloadrequests.velero.io", request, status)

    # -- backups ---------------------------------------------------------------------------------------

    def _namespaces(self, store: ClusterStore, spec: Obj) -> list[Obj]:
        wanted = spec.get("includedNamespaces") or ["*"]
        return [n for n in store.list("namespaces") if "*" in wanted or meta(n)["name"] in wanted]

    def _collect(self, store: ClusterStore, namespaces: list[Obj]) -> list[Obj]:
        found: list[Obj] = []
        for ns in namespaces:
            found.append(_clean(ns))
            for rt in ITEMS:
                found.extend(
                    _clean(o) for o in store.list(rt, meta(ns)["name"]) if not meta(o).get("ownerReferences")
                )
        return found

    def _backup(self, store: ClusterStore, backup: Obj) -> bool:
        status, spec, m = backup.get("status") or {}, backup.get("spec") or {}, meta(backup)
        key, phase = f"{m['namespace']}/{m['name']}", status.get("phase") or "New"
        if phase == "Completed" and key not in self.contents:  # seeded: what its namespaces hold now
            self.contents[key] = self._collect(store, self._namespaces(store, spec))
            count = len(self.contents[key])  # and its recorded count says so, as Velero's would
            if status.get("progress") != {"totalItems": count, "itemsBackedUp": count}:
                progress = {"totalItems": count, "itemsBackedUp": count}
                return self._status(store, "backups.velero.io", backup, {**status, "progress": progress})
        if phase not in ("New", "InProgress"):
            return False
        namespaces = self._namespaces(store, spec)
        if phase == "New":
            total = len(self._collect(store, namespaces))
            self._started[m["uid"]] = self.clock()
            status = {"phase": "InProgress", "startTimestamp": timestamp(), "version": 1,
                      "formatVersion": "1.1.0", "progress": {"totalItems": total, "itemsBackedUp": 0}}  # fmt: skip
            return self._status(store, "backups.velero.io", backup, status)
        if self.clock() - self._started.setdefault(m["uid"], self.clock()) < self.seconds:
            return False
        bad = {meta(n)["name"]: notes_of(n)[FAIL] for n in namespaces if FAIL in notes_of(n)}
        kept = self._collect(store, [n for n in namespaces if meta(n)["name"] not in bad])
        start = datetime.strptime(status["startTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        status = {**status, "completionTimestamp": timestamp(), "errors": len(bad), "warnings": 0,
                  "expiration": timestamp(start + ttl(spec.get("ttl", ""))),
                  "progress": {**status.get("progress", {}), "itemsBackedUp": len(kept)}}  # fmt: skip
        if bad:
            status["phase"] = "Failed" if len(bad) == len(namespaces) else "PartiallyFailed"
            status["failureReason"] = "; ".join(f"namespace {ns}: {why}" for ns, why in sorted(bad.items()))
        else:
            status["phase"] = "Completed"
            self.contents[key] = kept
        self._started.pop(m["uid"], None)
        return self._status(store, "backups.velero.io", backup, status)

    @staticmethod
    def _status(store: ClusterStore, resource: str, obj: Obj, status: Obj) -> bool:
        m = meta(obj)
        store.replace(resource, m["name"], {**obj, "status": status}, namespace=m["namespace"])
        return True

    # -- restores --------------------------------------------------------------------------------------

    def _restore(self, store: ClusterStore, restore: Obj) -> bool:
        status, spec, m = restore.get("status") or {}, restore.get("spec") or {}, meta(restore)
        phase = status.get("phase") or "New"
        if phase == "New":
            self._started[m["uid"]] = self.clock()
            status = {"phase": "InProgress", "startTimestamp": timestamp()}
            return self._status(store, "restores.velero.io", restore, status)
        if (
            phase != "InProgress"
            or self.clock() - self._started.setdefault(m["uid"], self.clock()) < self.seconds
        ):
            return False
        self._started.pop(m["uid"], None)
        done = {**status, "completionTimestamp": timestamp()}
        items = self.contents.get(f"{m['namespace']}/{spec.get('backupName', '')}")
        if items is None:
            why = f"backup {spec.get('backupName')!r} not found, not Completed, or without contents"
            return self._status(
                store, "restores.velero.io", restore, {**done, "phase": "Failed", "failureReason": why}
            )
        restored, warnings, problems = self._recreate(store, items, spec, m["name"])
        done.update(phase="PartiallyFailed" if problems else "Completed", warnings=len(warnings),
                    errors=len(problems), progress={"totalItems": len(items), "itemsRestored": restored})  # fmt: skip
        if problems:
            done["failureReason"] = "; ".join(problems[:5])
        return self._status(store, "restores.velero.io", restore, done)

    @staticmethod
    def _recreate(
        store: ClusterStore, items: list[Obj], spec: Obj, name: str
    ) -> tuple[int, list[str], list[str]]:
        mapping: dict[str, str] = spec.get("namespaceMapping") or {}
        only = spec.get("includedNamespaces") or ["*"]
        labels = {"velero.io/backup-name": spec.get("backupName", ""), "velero.io/restore-name": name}
        restored, warnings, problems = 0, list[str](), list[str]()
        for item in items:
            obj, m = copy.deepcopy(item), meta(item)
            source = m["name"] if obj.get("kind") == "Namespace" else m.get("namespace", "")
            if "*" not in only and source not in only:
                continue
            target = mapping.get(source, source)
            if obj.get("kind") == "Namespace":
                meta(obj)["name"] = target
            else:
                meta(obj)["namespace"] = target
            meta(obj)["labels"] = {**(m.get("labels") or {}), **labels}
            knob = notes_of(item).get(RESTORE_KNOB)
            if knob == "drop":
                restored += 1
                continue
            if knob == "alter":
                _alter(obj)
            try:
                store.create(obj)
                restored += 1
            except errors.ApiError as exc:
                where = f"{obj.get('kind')} {target}/{meta(obj)['name']}"
                (warnings if exc.code == 409 else problems).append(f"{where}: {exc}")
        return restored, warnings, problems


def _alter(obj: Obj) -> None:
    """The `alter` knob: change what a drill digests (a ConfigMap's data, a workload's pod template)."""
    if obj.get("kind") == "ConfigMap":
        obj["data"] = {**(obj.get("data") or {}), "sandbox-altered": "true"}
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict):
        notes = meta(template).setdefault("annotations", {})
        notes["sandbox-altered"] = "true"
