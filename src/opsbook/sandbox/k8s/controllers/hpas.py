"""HPA controller (autoscaling/v2): on every pass, what kube-controller-manager's horizontal pod autoscaler
does on its sync (pkg/controller/podautoscaler/horizontal.go), without its timing:

- the target cannot be read: AbleToScale=False, FailedGetScale;
- the target has 0 replicas: ScalingActive=False, ScalingDisabled (nothing is scaled);
- replicas outside [minReplicas, maxReplicas]: scaled into range, whatever the metrics say;
- otherwise every metric proposes a count (`hpa_replicas.py`: pod usage from metrics.k8s.io against the
  pods' requests) and the largest wins: ScalingActive=True ValidMetricFound, the count clamped to
  [min, max] with ScalingLimited (TooFewReplicas / TooManyReplicas / DesiredWithinRange); when every metric
  fails (or some fail and the rest would scale down): ScalingActive=False with the metric's reason and
  message, and nothing is scaled;
- status: observedGeneration, currentReplicas (before this pass's rescale), desiredReplicas,
  currentMetrics, conditions (lastTransitionTime kept while a condition's status holds), lastScaleTime.

No stabilisation window and no rate limit: the sandbox scales at once, deterministically. The status is
written only when it changes, so the seeded HPAs (whose statuses are what this computes) stay as seeded.
A manual scale of a deployment an HPA owns is undone, as on a real cluster.
"""

from __future__ import annotations

import copy

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.common import Obj, meta, now_stamp
from opsbook.sandbox.k8s.controllers.hpa_replicas import MetricError, Proposal, resource_replicas, target_pods
from opsbook.sandbox.k8s.store import ClusterStore

HPA = "horizontalpodautoscalers.autoscaling"
TARGETS = {
    "Deployment": "deployments.apps",
    "ReplicaSet": "replicasets.apps",
    "StatefulSet": "statefulsets.apps",
}
DEFAULT_METRICS: list[Obj] = [{"type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]  # fmt: skip


def set_condition(status: Obj, kind: str, state: str, reason: str, message: str) -> None:
    """An HPA condition (no lastUpdateTime, unlike a Deployment's); lastTransitionTime moves only when the
    status does."""
    conditions = status.setdefault("conditions", [])
    for cond in conditions:
        if cond.get("type") == kind:
            if cond.get("status") != state:
                cond["lastTransitionTime"] = now_stamp()
            cond.update(status=state, reason=reason, message=message)
            return
    conditions.append({"type": kind, "status": state, "reason": reason, "message": message,
                       "lastTransitionTime": now_stamp()})  # fmt: skip


def _metric_name(metric: Obj) -> str:
    return f"{(metric.get('resource') or {}).get('name', '?')} resource utilization (percentage of request)"


def _propose(store: ClusterStore, ns: str, spec: Obj, target: Obj, current: int, status: Obj) -> int | None:
    """The metrics' replica count (None when they cannot give one: the ScalingActive condition says why)."""
    pods = target_pods(store, ns, target)
    best: tuple[int, str] | None = None
    failure: MetricError | None = None
    statuses = []
    for metric in spec.get("metrics") or DEFAULT_METRICS:
        source = metric.get("resource") or {}
        goal = source.get("target") or {}
        try:
            if metric.get("type") != "Resource" or goal.get("type") != "Utilization":
                raise MetricError("FailedGetResourceMetric", "the sandbox computes Resource metrics with "
                                  f"a Utilization target only, not {metric.get('type')}/{goal.get('type')}")  # fmt: skip
            found: Proposal = resource_replicas(store, ns, pods, source.get("name", "cpu"),
                                                int(goal.get("averageUtilization") or 80), current)  # fmt: skip
        except MetricError as exc:
            failure = failure or exc
            continue
        statuses.append(found.status)
        if best is None or found.replicas > best[0]:
            best = (found.replicas, _metric_name(metric))
    if statuses:
        status["currentMetrics"] = statuses
    else:
        status.pop("currentMetrics", None)
    if failure is not None and (best is None or best[0] < current):
        set_condition(status, "ScalingActive", "False", failure.reason,
                      f"the HPA was unable to compute the replica count: {failure}")  # fmt: skip
        return None
    assert best is not None
    set_condition(status, "ScalingActive", "True", "ValidMetricFound",
                  f"the HPA was able to successfully calculate a replica count from {best[1]}")  # fmt: skip
    return best[0]


def _limit(status: Obj, proposed: int, low: int, high: int) -> int:
    set_condition(status, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
    if proposed < low:
        set_condition(status, "ScalingLimited", "True", "TooFewReplicas",
                      "the desired replica count is less than the minimum replica count")  # fmt: skip
        return low
    if proposed > high:
        set_condition(status, "ScalingLimited", "True", "TooManyReplicas",
                      "the desired replica count is more than the maximum replica count")  # fmt: skip
        return high
    set_condition(status, "ScalingLimited", "False", "DesiredWithinRange",
                  "the desired count is within the acceptable range")  # fmt: skip
    return proposed


def _sync(store: ClusterStore, hpa: Obj) -> bool:
    spec, ns = hpa.get("spec") or {}, meta(hpa)["namespace"]
    old = hpa.get("status") or {}
    status = copy.deepcopy(old)
    status["observedGeneration"] = int(meta(hpa).get("generation", 1))
    ref = spec.get("scaleTargetRef") or {}
    resource = TARGETS.get(ref.get("kind", ""))
    try:
        if resource is None:
            raise errors.not_found(f"{str(ref.get('kind', '')).lower()}s", "", ref.get("name", ""))
        target = store.get(resource, ref.get("name", ""), ns)
    except errors.ApiError as exc:
        set_condition(status, "AbleToScale", "False", "FailedGetScale",
                      f"the HPA controller was unable to get the target's current scale: {exc.message}")  # fmt: skip
        return _write(store, hpa, old, status)
    set_condition(status, "AbleToScale", "True", "SucceededGetScale",
                  "the HPA controller was able to get the target's current scale")  # fmt: skip
    current = int((target.get("spec") or {}).get("replicas", 1))
    low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
    status["currentReplicas"] = current
    desired: int | None
    if current == 0 and low != 0:
        set_condition(status, "ScalingActive", "False", "ScalingDisabled",
                      "scaling is disabled since the replica count of the target is zero")  # fmt: skip
        desired = 0
    elif current > high or current < low:
        desired = high if current > high else low
    else:
        proposed = _propose(store, ns, spec, target, current, status)
        desired = None if proposed is None else _limit(status, proposed, low, high)
    if desired is not None:
        status["desiredReplicas"] = desired
    if desired is not None and desired != current and current != 0:
        store.patch(resource, ref["name"], {"spec": {"replicas": desired}}, "application/merge-patch+json",
                    ns, "scale")  # fmt: skip
        set_condition(status, "AbleToScale", "True", "SucceededRescale",
                      f"the HPA controller was able to update the target scale to {desired}")  # fmt: skip
        status["lastScaleTime"] = now_stamp()
    return _write(store, hpa, old, status) or bool(desired is not None and desired != current and current)


def _write(store: ClusterStore, hpa: Obj, old: Obj, status: Obj) -> bool:
    status.setdefault("currentReplicas", old.get("currentReplicas", 0))
    status.setdefault("desiredReplicas", old.get("desiredReplicas", 0))
    if status == old:
        return False
    store.replace(HPA, meta(hpa)["name"], {**hpa, "status": status}, meta(hpa)["namespace"], "status")
    return True


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for hpa in store.list(HPA):
        changed = _sync(store, hpa) or changed
    return changed
