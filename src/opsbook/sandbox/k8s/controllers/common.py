"""Helpers the sandbox's controllers share: ownership, pod readiness, quantities, template hashes."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from opsbook.sandbox.k8s.selectors import label_selector, selector_string

Obj = dict[str, Any]

HOLD = "sandbox.opsbook.io/hold"  # on a pod: the kubelet and scheduler leave it exactly as it is
REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet
BAD_IMAGE_WORDS = ("bad", "broken")


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(obj: Obj) -> Obj:
    return obj.setdefault("metadata", {})


def notes_of(obj: Obj) -> dict[str, str]:
    return meta(obj).get("annotations") or {}


def held(obj: Obj) -> bool:
    return notes_of(obj).get(HOLD) == "true"


def owned_by(obj: Obj, owner: Obj) -> bool:
    uid = meta(owner).get("uid")
    return any(
        ref.get("uid") == uid and ref.get("controller") for ref in meta(obj).get("ownerReferences") or []
    )


def owner_ref(owner: Obj) -> list[Obj]:
    m = meta(owner)
    return [{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": m["name"], "uid": m["uid"],
             "controller": True, "blockOwnerDeletion": True}]  # fmt: skip


def selects(selector: Obj | None, obj: Obj) -> bool:
    labels = (selector or {}).get("matchLabels") or {}
    return bool(labels) and label_selector(selector_string(labels))(obj)


def terminating(pod: Obj) -> bool:
    return bool(meta(pod).get("deletionTimestamp"))


def pod_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def bad_image(image: str) -> bool:
    """Images the sandbox cannot pull (a tag containing `bad` or `broken`): their pods never start."""
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
    return any(word in tag.lower() for word in BAD_IMAGE_WORDS)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def template_key(template: Obj | None) -> str:
    """A pod template without its pod-template-hash label and nulls (kubectl sends
    `creationTimestamp: null`), in canonical JSON: equal keys are semantically equal templates."""
    clean = _without_nulls(copy.deepcopy(template or {}))
    labels = (clean.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return json.dumps(clean, sort_keys=True, separators=(",", ":"))


def template_hash(template: Obj | None) -> str:
    digest = int.from_bytes(hashlib.sha256(template_key(template).encode()).digest()[:8], "big")
    out = ""
    for _ in range(10):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        out += SAFE_ALPHABET[index]
    return out


def suffix(seed: str, length: int = 5) -> str:
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    out = ""
    for _ in range(length):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        out += SAFE_ALPHABET[index]
    return out


def cpu_millis(value: Any) -> int:
    text = str(value or "0")
    if text.endswith("m"):
        return int(float(text[:-1]))
    return int(float(text) * 1000)


UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 10**3, "M": 10**6, "G": 10**9, "k": 10**3}


def memory_bytes(value: Any) -> int:
    text = str(value or "0")
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(float(text))


def scaled(value: Any, total: int, round_up: bool) -> int:
    """An int-or-percent (`25%`, `1`) against `total`, like intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    text = str(value if value is not None else "25%")
    if text.endswith("%"):
        exact = float(text[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def set_condition(status: Obj, kind: str, state: str, reason: str, message: str) -> None:
    """Set a condition, keeping lastTransitionTime when the status did not change."""
    conditions = status.setdefault("conditions", [])
    stamp = now_stamp()
    for cond in conditions:
        if cond.get("type") == kind:
            if cond.get("status") != state:
                cond["lastTransitionTime"] = stamp
            if (cond.get("reason"), cond.get("message")) != (reason, message) or cond.get("status") != state:
                cond["lastUpdateTime"] = stamp
            cond.update(status=state, reason=reason, message=message)
            return
    conditions.append({"type": kind, "status": state, "reason": reason, "message": message,
                       "lastUpdateTime": stamp, "lastTransitionTime": stamp})  # fmt: skip


def mark_bound(pod: Obj) -> None:
    """The status of a pod just bound to its node: scheduled, containers being created (see kubelet.py)."""
    status = pod.setdefault("status", {})
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    status["conditions"].append({"type": "PodScheduled", "status": "True", "lastTransitionTime": now_stamp()})
    status["containerStatuses"] = [
        {"name": c["name"], "image": c.get("image", ""), "ready": False, "started": False,
         "restartCount": 0, "imageID": "", "state": {"waiting": {"reason": "ContainerCreating"}}}
        for c in (pod.get("spec") or {}).get("containers") or []
    ]  # fmt: skip
    status["startTime"] = now_stamp()
