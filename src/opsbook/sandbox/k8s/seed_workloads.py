"""Seeded workloads of `my-cluster`: deployments, replica sets, pods, pod metrics, HPAs, jobs, services.

Pure data: every function takes `now` and returns plain dicts (see `seed.py` for the overview table).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

Obj = dict[str, Any]

NODE_HEALTHY_SYSTEM = "ip-10-0-1-10.ec2.internal"
NODE_HEALTHY_APP = "ip-10-0-2-20.ec2.internal"
NODE_NOT_READY = "ip-10-0-2-21.ec2.internal"
NODE_MEMORY_PRESSURE = "ip-10-0-2-22.ec2.internal"
NODE_CORDONED = "ip-10-0-2-23.ec2.internal"
NODE_BUSY = "ip-10-0-2-24.ec2.internal"

FULL_RESOURCES = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
MEMORY_ONLY = {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}  # payments: no CPU request
ROLLOUT_AGE = timedelta(hours=3)


def ts(now: datetime, ago: timedelta = timedelta(0)) -> str:
    return (now - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, namespace: str | None, now: datetime, age: timedelta, **extra: Any) -> Obj:
    out: Obj = {"name": name, "creationTimestamp": ts(now, age)}
    if namespace:
        out["namespace"] = namespace
    out.update({k: v for k, v in extra.items() if v})
    return out


def uid_of(name: str) -> str:
    """The seeded uid of a Deployment or ReplicaSet, which its dependents' owner references carry."""
    return f"00000000-0000-4000-8000-{zlib.crc32(name.encode()):012d}"


def _owner(kind: str, name: str, api_version: str = "apps/v1") -> list[Obj]:
    return [
        {
            "apiVersion": api_version,
            "kind": kind,
            "name": name,
            "uid": uid_of(name),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def container_status(
    name: str,
    image: str,
    now: datetime,
    started: timedelta,
    ready: bool = True,
    restarts: int = 0,
    waiting: Obj | None = None,
    last_terminated: Obj | None = None,
    terminated: Obj | None = None,
) -> Obj:
    if waiting:
        state: Obj = {"waiting": waiting}
    elif terminated:
        state = {"terminated": terminated}
    else:
        state = {"running": {"startedAt": ts(now, started)}}
    status: Obj = {
        "name": name,
        "image": image,
        "imageID": f"{image.split(':')[0]}@sha256:{'ab' * 32}",
        "containerID": f"containerd://{zlib.crc32((name + image).encode()):064x}",
        "ready": ready,
        "started": ready,
        "restartCount": restarts,
        "state": state,
        "lastState": {"terminated": last_terminated} if last_terminated else {},
    }
    return status


def pod(
    now: datetime,
    namespace: str,
    name: str,
    labels: dict[str, str],
    node: str | None,
    image: str,
    ip: str,
    age: timedelta = timedelta(days=10),
    resources: Obj | None = None,
    phase: str = "Running",
    status: Obj | None = None,
    owner: list[Obj] | None = None,
    container: str = "app",
) -> Obj:
    """A pod with one container; `status` (a container status) defaults to running and ready."""
    cstatus = status or container_status(container, image, now, age)
    ready = "True" if cstatus["ready"] else "False"
    conditions = [
        {"type": "Initialized", "status": "True", "lastTransitionTime": ts(now, age)},
        {"type": "Ready", "status": ready, "lastTransitionTime": ts(now, age)},
        {"type": "ContainersReady", "status": ready, "lastTransitionTime": ts(now, age)},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(now, age)},
    ]
    spec: Obj = {
        "containers": [{"name": container, "image": image, "resources": resources or {}}],
        "restartPolicy": "Never" if phase == "Succeeded" else "Always",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
    }
    if node:
        spec["nodeName"] = node
    body_status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "qosClass": _qos(resources),
        "startTime": ts(now, age),
    }
    if node:
        body_status.update(hostIP=f"10.0.{node.split('-')[3]}.{node.split('-')[4].split('.')[0]}", podIP=ip)
        body_status["podIPs"] = [{"ip": ip}]
        body_status["containerStatuses"] = [cstatus]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, namespace, now, age, labels=labels, ownerReferences=owner),
        "spec": spec,
        "status": body_status,
    }


def _qos(resources: Obj | None) -> str:
    if not resources:
        return "BestEffort"
    limits = resources.get("limits") or {}
    guaranteed = resources.get("requests") == limits and {"cpu", "memory"} <= set(limits)
    return "Guaranteed" if guaranteed else "Burstable"


def deployment(
    now: datetime,
    namespace: str,
    name: str,
    replicas: int,
    ready: int,
    image: str,
    age: timedelta,
    rollout_age: timedelta,
    pod_hash: str,
    resources: Obj | None = FULL_RESOURCES,
    revision: int = 1,
    stuck: bool = False,
) -> tuple[Obj, Obj]:
    """A Deployment and its current ReplicaSet; `rollout_age` is when the current revision rolled out.
    `stuck`: its new ReplicaSet never became available within progressDeadlineSeconds (600 s), so the
    controller set Progressing=False, ProgressDeadlineExceeded ten minutes after the rollout."""
    labels = {"app": name}
    template: Obj = {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "app", "image": image, "resources": resources or {}}]},
    }
    if rollout_age < age:
        template["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": ts(now, rollout_age)}
    available = "True" if ready >= replicas else "False"
    conditions = [
        {
            "type": "Available",
            "status": available,
            "reason": "MinimumReplicasAvailable" if available == "True" else "MinimumReplicasUnavailable",
            "message": "Deployment has minimum availability."
            if available == "True"
            else "Deployment does not have minimum availability.",
            "lastUpdateTime": ts(
                now, min(rollout_age, timedelta(hours=1)) if available == "False" else rollout_age
            ),
            "lastTransitionTime": ts(now, rollout_age),
        },
        {
            "type": "Progressing",
            "status": "True",
            "reason": "NewReplicaSetAvailable",
            "message": f'ReplicaSet "{name}-{pod_hash}" has successfully progressed.',
            "lastUpdateTime": ts(now, rollout_age),
            "lastTransitionTime": ts(now, age),
        },
    ]
    if stuck:
        gave_up = ts(now, rollout_age - timedelta(seconds=600))
        conditions[1] = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                         "message": f'ReplicaSet "{name}-{pod_hash}" has timed out progressing.',
                         "lastUpdateTime": gave_up, "lastTransitionTime": gave_up}  # fmt: skip
    status: Obj = {
        "observedGeneration": revision,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": conditions,
    }
    if ready < replicas:
        status["unavailableReplicas"] = replicas - ready
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            **meta(name, namespace, now, age, labels=labels, annotations=annotations, uid=uid_of(name)),
            "generation": revision,
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "progressDeadlineSeconds": 600,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": template,
        },
        "status": status,
    }
    rs_labels = {**labels, "pod-template-hash": pod_hash}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta(
            f"{name}-{pod_hash}",
            namespace,
            now,
            rollout_age,
            labels=rs_labels,
            annotations=annotations,
            ownerReferences=_owner("Deployment", name),
            uid=uid_of(f"{name}-{pod_hash}"),
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": rs_labels},
            "template": {**template, "metadata": {**template["metadata"], "labels": rs_labels}},
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": 1,
        },
    }
    return dep, rs


def workloads(now: datetime) -> list[Obj]:
    """Deployments, replica sets and their pods, a CronJob with a finished Job, and services."""
    objs: list[Obj] = []
    day = timedelta(days=1)

    def add_deployment(ns: str, name: str, replicas: int, ready: int, image: str, age: timedelta,
                       rollout: timedelta, pod_hash: str, resources: Obj | None = FULL_RESOURCES,
                       revision: int = 1, stuck: bool = False) -> list[Obj]:  # fmt: skip
        dep, rs = deployment(
            now, ns, name, replicas, ready, image, age, rollout, pod_hash, resources, revision, stuck
        )
        objs.extend([dep, rs])
        return _owner("ReplicaSet", rs["metadata"]["name"])

    def labels(app: str, pod_hash: str) -> dict[str, str]:
        return {"app": app, "pod-template-hash": pod_hash}

    # production/myapp: healthy, old rollout; its logs carry errors (application log review fails).
    owner = add_deployment(
        "production", "myapp", 3, 3, "mycompany/myapp:1.8.2", 60 * day, 12 * day, "6d4cf56db6"
    )
    for i, (suffix, node) in enumerate(
        [("2xkqp", NODE_HEALTHY_SYSTEM), ("8fjzl", NODE_HEALTHY_APP), ("t7wnm", NODE_BUSY)]
    ):
        objs.append(pod(now, "production", f"myapp-6d4cf56db6-{suffix}", labels("myapp", "6d4cf56db6"), node,
                        "mycompany/myapp:1.8.2", f"10.0.3.{11 + i}", 12 * day, FULL_RESOURCES, owner=owner))  # fmt: skip

    # production/my-app: rolled out 3 hours ago (new ReplicaSet, restartedAt annotation), old RS at 0.
    old = deployment(
        now, "production", "my-app", 0, 0, "mycompany/my-app:2.3.0", 90 * day, 20 * day, "5b8c7d9f4"
    )
    old[1]["spec"]["replicas"] = 0
    old[1]["status"] = {"replicas": 0, "observedGeneration": 2}
    objs.append(old[1])
    owner = add_deployment("production", "my-app", 4, 4, "mycompany/my-app:2.4.0", 90 * day, ROLLOUT_AGE,
                           "7c9d8f6b5", revision=3)  # fmt: skip
    for i, suffix in enumerate(["4kd2m", "9xw7p", "h2v5c", "q8r3t"]):
        node = NODE_BUSY if i < 3 else NODE_HEALTHY_APP
        objs.append(pod(now, "production", f"my-app-7c9d8f6b5-{suffix}", labels("my-app", "7c9d8f6b5"), node,
                        "mycompany/my-app:2.4.0", f"10.0.4.{21 + i}", ROLLOUT_AGE, FULL_RESOURCES, owner=owner))  # fmt: skip

    # production/payments: 1 of 3 ready -> unavailable replicas; one pod crash-looping, one OOMKilled.
    # Its containers set memory only (no CPU request), so its CPU-based HPA can never compute a utilisation.
    image = "mycompany/payments:3.1.0"
    owner = add_deployment("production", "payments", 3, 1, image, 45 * day, 5 * day, "5f7b9c8d4", MEMORY_ONLY)
    hp = labels("payments", "5f7b9c8d4")
    crash = container_status(
        "app", image, now, 5 * day, ready=False, restarts=14,
        waiting={"reason": "CrashLoopBackOff",
                 "message": "back-off 5m0s restarting failed container=app pod=payments-5f7b9c8d4-c7xkq"},
        last_terminated={"exitCode": 1, "reason": "Error", "startedAt": ts(now, timedelta(minutes=6)),
                         "finishedAt": ts(now, timedelta(minutes=5))},
    )  # fmt: skip
    objs.append(pod(now, "production", "payments-5f7b9c8d4-c7xkq", hp, NODE_MEMORY_PRESSURE, image, "10.0.5.31",
                    5 * day, MEMORY_ONLY, status=crash, owner=owner))  # fmt: skip
    oom = container_status(
        "app", image, now, timedelta(minutes=20), ready=False, restarts=27,
        last_terminated={"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(now, timedelta(minutes=55)),
                         "finishedAt": ts(now, timedelta(minutes=20))},
    )  # fmt: skip
    objs.append(pod(now, "production", "payments-5f7b9c8d4-m4pz8", hp, NODE_MEMORY_PRESSURE, image, "10.0.5.32",
                    5 * day, MEMORY_ONLY, status=oom, owner=owner))  # fmt: skip
    objs.append(pod(now, "production", "payments-5f7b9c8d4-w2n6j", hp, NODE_HEALTHY_APP, image, "10.0.5.33",
                    5 * day, MEMORY_ONLY, owner=owner))  # fmt: skip

    # production/worker: its only pod cannot be scheduled (Pending) -> unavailable replicas; its rollout
    # 2 days ago never completed -> Progressing=False, ProgressDeadlineExceeded (k8s.deployment_rollout_stuck).
    big = {"requests": {"cpu": "6", "memory": "8Gi"}, "limits": {"cpu": "6", "memory": "8Gi"}}
    owner = add_deployment("production", "worker", 1, 0, "mycompany/worker:1.2.0", 30 * day, 2 * day, "59d6f7c8b",
                           resources=big, stuck=True)  # fmt: skip
    pending = pod(now, "production", "worker-59d6f7c8b-zt5lq", labels("worker", "59d6f7c8b"), None,
                  "mycompany/worker:1.2.0", "", 2 * day, big, phase="Pending", owner=owner)  # fmt: skip
    pending["metadata"]["annotations"] = {
        "sandbox.opsbook.io/hold": "true"
    }  # the scheduler leaves it Pending
    pending["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "lastTransitionTime": ts(now, 2 * day),
            "message": "0/6 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, "
            "1 node(s) were unschedulable, 4 Insufficient cpu. preemption: 0/6 nodes are available.",
        }
    ]
    objs.append(pending)

    # default/legacy-app: Running, but no requests and no limits (BestEffort).
    owner = add_deployment("default", "legacy-app", 1, 1, "nginx:1.25", 200 * day, 200 * day, "84c5d6f7b9",
                           resources=None)  # fmt: skip
    objs.append(pod(now, "default", "legacy-app-84c5d6f7b9-kx8ds", labels("legacy-app", "84c5d6f7b9"),
                    NODE_HEALTHY_APP, "nginx:1.25", "10.0.6.41", 200 * day, None, owner=owner))  # fmt: skip

    # kube-system and velero: healthy platform components.
    system = [("kube-system", "coredns", 2, "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.4",
               "787cb67946", ["2zmk4", "x9vlq"]),
              ("kube-system", "metrics-server", 1, "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
               "5d9f8c7b6d", ["qw7rt"]),
              ("velero", "velero", 1, "velero/velero:v1.15.2", "6b8f9c7d5", ["v1x2y"])]  # fmt: skip
    small = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}
    for n, (ns, name, count, img, pod_hash, suffixes) in enumerate(system):
        owner = add_deployment(ns, name, count, count, img, 120 * day, 30 * day, pod_hash, small)
        for i, suffix in enumerate(suffixes):
            objs.append(pod(now, ns, f"{name}-{pod_hash}-{suffix}", labels(name, pod_hash), NODE_HEALTHY_SYSTEM,
                            img, f"10.0.7.{10 * n + i + 1}", 30 * day, small, owner=owner))  # fmt: skip

    objs.extend(_batch(now))
    objs.extend(_services(now))
    return objs


def _batch(now: datetime) -> list[Obj]:
    image = "mycompany/reports:1.0.4"
    job_name = "nightly-report-29012345"
    template = {"spec": {"containers": [{"name": "report", "image": image}], "restartPolicy": "Never"}}
    done = container_status(
        "report", image, now, timedelta(hours=7), ready=False,
        terminated={"exitCode": 0, "reason": "Completed", "startedAt": ts(now, timedelta(hours=7)),
                    "finishedAt": ts(now, timedelta(hours=6, minutes=52))},
    )  # fmt: skip
    job_pod = pod(now, "production", f"{job_name}-p9k2d", {"job-name": job_name}, NODE_HEALTHY_APP, image,
                  "10.0.8.51", timedelta(hours=7), FULL_RESOURCES, phase="Succeeded", status=done,
                  owner=_owner("Job", job_name, "batch/v1"), container="report")  # fmt: skip
    return [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta("nightly-report", "production", now, timedelta(days=80)),
            "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": template}}},
            "status": {"lastScheduleTime": ts(now, timedelta(hours=7))},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta(
                job_name,
                "production",
                now,
                timedelta(hours=7),
                ownerReferences=_owner("CronJob", "nightly-report", "batch/v1"),
            ),  # fmt: skip
            "spec": {"completions": 1, "template": template},
            "status": {
                "succeeded": 1,
                "startTime": ts(now, timedelta(hours=7)),
                "completionTime": ts(now, timedelta(hours=6, minutes=52)),
            },  # fmt: skip
        },
        job_pod,
    ]


def _services(now: datetime) -> list[Obj]:
    def service(ns: str, name: str, ip: str, port: int, selector: dict[str, str] | None) -> Obj:
        spec: Obj = {"type": "ClusterIP", "clusterIP": ip, "ports": [{"port": port, "protocol": "TCP"}]}
        if selector:
            spec["selector"] = selector
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, now, timedelta(days=200)),
                "spec": spec}  # fmt: skip

    return [
        service("default", "kubernetes", "172.20.0.1", 443, None),
        service("kube-system", "kube-dns", "172.20.0.10", 53, {"app": "coredns"}),
        service("production", "myapp", "172.20.31.7", 80, {"app": "myapp"}),
        service("production", "my-app", "172.20.44.2", 80, {"app": "my-app"}),
        service("production", "payments", "172.20.52.9", 8080, {"app": "payments"}),
    ]


PAYMENTS_HPA_FAILURE = (
    "the HPA was unable to compute the replica count: failed to get cpu utilization: missing "
    "request for cpu in container app of Pod payments-5f7b9c8d4-c7xkq"
)


def hpas(now: datetime) -> list[Obj]:
    """myapp healthy; my-app pinned at its maximum; payments unable to compute (no CPU request)."""

    def hpa(name: str, low: int, high: int, current: int, cpu_now: tuple[int, str] | None,
            conditions: list[Obj]) -> Obj:  # fmt: skip
        status: Obj = {"observedGeneration": 1, "currentReplicas": current, "desiredReplicas": current,
                       "conditions": conditions}  # fmt: skip
        if cpu_now is not None:
            percent, average = cpu_now
            status["currentMetrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "current": {"averageUtilization": percent, "averageValue": average}}}]  # fmt: skip
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(name, "production", now, timedelta(days=40)),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": low,
                "maxReplicas": high,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
            "status": status,
        }

    def cond(kind: str, state: str, reason: str, message: str) -> Obj:
        return {"type": kind, "status": state, "reason": reason, "message": message,
                "lastTransitionTime": ts(now, timedelta(hours=2))}  # fmt: skip

    # What the sandbox's HPA controller computes from pod_metrics (a fixed point): myapp 3 x 160m of 250m
    # requested = 64 % (within 10 % of 70: stays); my-app 4 x 238m = 95 % (wants 6, held at max 4);
    # payments: no CPU request in its containers.
    able = cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
    valid = cond(
        "ScalingActive",
        "True",
        "ValidMetricFound",
        "the HPA was able to successfully calculate a "
        "replica count from cpu resource utilization (percentage of request)",
    )
    return [
        hpa("myapp", 3, 20, 3, (64, "160m"), [able, valid,
            cond("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range")]),
        hpa("my-app", 2, 4, 4, (95, "238m"), [able, valid,
            cond("ScalingLimited", "True", "TooManyReplicas",
                 "the desired replica count is more than the maximum replica count")]),
        hpa("payments", 3, 10, 3, None, [
            cond("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
            cond("ScalingActive", "False", "FailedGetResourceMetric", PAYMENTS_HPA_FAILURE)]),
    ]  # fmt: skip


def pod_metrics(now: datetime, pods: list[Obj]) -> list[Obj]:
    """PodMetrics for every Running and Ready pod (payments' crash-looping and OOM-killed pods have none);
    myapp pods top the memory list."""
    usage = {
        "myapp": ("160m", "470Mi"),
        "my-app": ("238m", "300Mi"),
        "payments": ("310m", "405Mi"),
        "legacy-app": ("5m", "12Mi"),
        "coredns": ("3m", "20Mi"),
        "metrics-server": ("6m", "28Mi"),
        "velero": ("2m", "64Mi"),
    }
    out = []
    for obj in pods:
        app = obj["metadata"]["labels"].get("app", "")
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in obj["status"]["conditions"])
        if obj["status"]["phase"] != "Running" or not ready or app not in usage:
            continue
        cpu, memory = usage[app]
        out.append({
            "apiVersion": "metrics.k8s.io/v1beta1",
            "kind": "PodMetrics",
            "metadata": meta(obj["metadata"]["name"], obj["metadata"]["namespace"], now, timedelta(0),
                             labels=obj["metadata"]["labels"]),
            "timestamp": ts(now, timedelta(seconds=15)),
            "window": "15s",
            "containers": [{"name": c["name"], "usage": {"cpu": cpu, "memory": memory}}
                           for c in obj["spec"]["containers"]],
        })  # fmt: skip
    return out
