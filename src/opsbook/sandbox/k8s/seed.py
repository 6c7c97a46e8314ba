"""The seeded `my-cluster`, modelled on the Operations Guide. All timestamps are relative to `now`.

`seed_objects(now)` and `seed_logs(now)` are pure data; `seed_cluster(store)` loads both.
Every check has an object that passes and one that fails:

| check (issue 3)                     | passes                                   | fails                                           |
|-------------------------------------|------------------------------------------|-------------------------------------------------|
| nodes not Ready                     | ip-10-0-1-10, ip-10-0-2-20, -22, -23, -24| ip-10-0-2-21 (Ready=Unknown, NodeStatusUnknown) |
| nodes under pressure                | all others                               | ip-10-0-2-22 (MemoryPressure=True)              |
| nodes unschedulable (cordoned)      | all others                               | ip-10-0-2-23 (spec.unschedulable, taint)        |
| pods not Running/Succeeded          | myapp-*, my-app-*, nightly-report (Succ.)| payments-...-c7xkq (CrashLoopBackOff),          |
|                                     |                                          | worker-...-zt5lq (Pending, Unschedulable)       |
| containers restarting > N in 24 h   | everything else (0 restarts)             | payments-...-m4pz8 (27, last OOMKilled 20m ago),|
|                                     |                                          | payments-...-c7xkq (14, Error)                  |
| deployments with unavailable repl.  | myapp, my-app, legacy-app, coredns, ...  | production/payments (1/3), production/worker 0/1|
| deployment rollouts stuck           | every other deployment (complete)        | production/worker (Progressing=False,           |
|  (in progress: INFO)                |                                          |  ProgressDeadlineExceeded)                      |
| deployments changed in last 24 h    | myapp (12 d), payments (5 d), ...        | production/my-app (3 h: new RS, restartedAt,    |
|  (info)                             |                                          |  Progressing.lastUpdateTime, revision 3)        |
| HPA at max replicas                 | myapp (3 of 3..20)                       | my-app (4 of 2..4, ScalingLimited TooMany...)   |
| HPA weekly review (desired at max,  | myapp (3 = 3 of 3..20), payments (3 = 3) | my-app (desired 4 = max 4)                      |
|  or current != desired)             |                                          |                                                 |
| HPA unable to read metrics          | myapp, my-app                            | payments (ScalingActive=False FailedGetResource)|
|  (the HPA controller computes these from pod metrics; payments' containers have no CPU request)             |
| node CPU/memory use vs allocatable  | ip-10-0-1-10, ip-10-0-2-20, -23          | ip-10-0-2-24 (CPU 92%), ip-10-0-2-22 (mem 95%)  |
|  (NotReady ip-10-0-2-21 has no metrics, as with metrics-server)                                           |
| requested vs allocatable (overcommit)| ip-10-0-1-10 (low requests)             | ip-10-0-2-24: allocatable 1930m cpu; my-app x3 +|
|                                     |                                          |  myapp x1 request 1000m (52%), limit 2000m(104%)|
| pods without requests or limits     | every other pod                          | default/legacy-app-84c5d6f7b9-kx8ds (none),     |
|                                     |                                          | production/payments-* (memory only, no CPU)     |
| application log review (app=myapp)  | app=my-app (INFO only)                   | app=myapp: ERROR, Exception, timeout lines      |
| pods per node vs allocatable pods   | all others (<= 5 of 29)                  | ip-10-0-2-24: 4 of allocatable 5 pods (80%)     |
| Velero backups recent & completed   | daily-backup (Completed at its last 02:00| weekly-full (0 3 * * 0: newest Completed three  |
|  (limit: cron interval + 2 h)       |  UTC, within 24 h + 2 h)                 |  Sundays ago); a Failed and a PartiallyFailed   |
|                                     |                                          |  daily backup (the two 02:00 runs before)       |
| wide RBAC bindings (access review)  | cluster-admin -> system:masters;         | jane-cluster-admin -> User jane@mycompany.com,  |
|  (k8s.wide_rbac_bindings)           | support-pod-reader (pods get/list);      |  ops-admins -> Group ops-admins, velero -> SA   |
|                                     | aws-auth: the node role -> system:nodes  |  velero (cluster-admin); opsbook-readonly and   |
|                                     |                                          |  developers-edit (verbs on all resources, so    |
|                                     |                                          |  Secrets too); aws-auth: PlatformAdmin ->       |
|                                     |                                          |  ops-admins                                     |

Other seeded objects: namespaces default/production/velero/kube-system; the aws-node and kube-proxy
DaemonSets with a pod on every node (`seed_daemonsets.py`); services; a `nightly-report`
CronJob with a finished Job; the `aws-auth` ConfigMap; a Secret `production/myapp-db` (fake value); roles,
role bindings, a BackupStorageLocation, a Completed restore; Warning events for the failures above.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from opsbook.sandbox.estate import KUBELET_VERSION, NODE_IMAGE, NODE_INSTANCE_TYPE
from opsbook.sandbox.k8s.seed_daemonsets import daemonsets
from opsbook.sandbox.k8s.seed_workloads import (
    NODE_BUSY,
    NODE_CORDONED,
    NODE_HEALTHY_APP,
    NODE_HEALTHY_SYSTEM,
    NODE_MEMORY_PRESSURE,
    NODE_NOT_READY,
    hpas,
    meta,
    pod_metrics,
    ts,
    workloads,
)
from opsbook.sandbox.k8s.store import ClusterStore

Obj = dict[str, Any]
CLUSTER_NAME = "my-cluster"
DAY = timedelta(days=1)


class LogSeed(NamedTuple):
    namespace: str
    pod: str
    container: str
    lines: list[tuple[datetime, str]]
    previous: bool = False


def namespaces(now: datetime) -> list[Obj]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, None, now, 400 * DAY,
                                                                   labels={"kubernetes.io/metadata.name": name}),
         "status": {"phase": "Active"}}
        for name in ("default", "kube-system", "production", "velero")
    ]  # fmt: skip


def _condition(now: datetime, kind: str, status: str, reason: str, message: str, since: timedelta) -> Obj:
    return {"type": kind, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": ts(now, timedelta(seconds=40) if kind != "Ready" or status == "True" else since),
            "lastTransitionTime": ts(now, since)}  # fmt: skip


def node(now: datetime, name: str, group: str, zone: str, ready: str = "True", memory_pressure: bool = False,
         cordoned: bool = False, max_pods: int = 29, age: timedelta = 30 * DAY) -> Obj:  # fmt: skip
    """An m5.large EKS node: 2 vCPU / 8 GiB, allocatable 1930m / 7.1 GiB, `max_pods` pods (29), `age` old."""
    octets = name.split(".")[0].split("-")[1:]
    pressure = "True" if memory_pressure else "False"
    since = timedelta(minutes=47) if ready != "True" or memory_pressure else age
    conditions = [
        _condition(now, "MemoryPressure", pressure, "KubeletHasInsufficientMemory" if memory_pressure
                   else "KubeletHasSufficientMemory", "kubelet has insufficient memory available" if memory_pressure
                   else "kubelet has sufficient memory available", since),
        _condition(now, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", since),
        _condition(now, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                   since),
        _condition(now, "Ready", ready, "KubeletReady" if ready == "True" else "NodeStatusUnknown",
                   "kubelet is posting ready status" if ready == "True" else "Kubelet stopped posting node status.",
                   since),
    ]  # fmt: skip
    spec: Obj = {"providerID": f"aws:///{zone}/i-0{abs(sum(map(int, octets))):015x}"}
    if cordoned:
        spec["unschedulable"] = True
        spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                           "timeAdded": ts(now, 3 * DAY)}]  # fmt: skip
    if ready != "True":
        spec["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
                           "timeAdded": ts(now, since)}]  # fmt: skip
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": NODE_INSTANCE_TYPE,
        "topology.kubernetes.io/region": "us-east-1",
        "topology.kubernetes.io/zone": zone,
        "eks.amazonaws.com/nodegroup": group,
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "eks.amazonaws.com/nodegroup-image": NODE_IMAGE,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(name, None, now, age, labels=labels),
        "spec": spec,
        "status": {
            "capacity": {
                "cpu": "2",
                "memory": "7935364Ki",
                "pods": str(max_pods),
                "ephemeral-storage": "83873772Ki",
            },
            "allocatable": {
                "cpu": "1930m",
                "memory": "7246212Ki",
                "pods": str(max_pods),
                "ephemeral-storage": "76224326324",
            },
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": ".".join(octets)},
                {"type": "Hostname", "address": name},
                {"type": "InternalDNS", "address": name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"b007{'0' * 28}{''.join(octets)[-4:]:0>4}",
                "containerRuntimeVersion": "containerd://1.7.25",
                "kernelVersion": "6.1.124-134.200.amzn2023.x86_64",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": f"ec2{''.join(octets):0>29}",
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.6.20250115",
                "systemUUID": f"ec2{''.join(octets):0>33}",
            },
        },
    }


def nodes(now: datetime) -> list[Obj]:
    return [
        node(now, NODE_HEALTHY_SYSTEM, "system", "us-east-1a"),
        node(now, NODE_HEALTHY_APP, "application", "us-east-1b"),
        node(now, NODE_NOT_READY, "application", "us-east-1b", ready="Unknown"),
        node(now, NODE_MEMORY_PRESSURE, "application", "us-east-1c", memory_pressure=True),
        node(now, NODE_CORDONED, "application", "us-east-1c", cordoned=True),
        node(now, NODE_BUSY, "application", "us-east-1a", max_pods=5),  # kubelet --max-pods=5: 4/5 pods
    ]


def node_metrics(now: datetime) -> list[Obj]:
    """Usage against allocatable 1930m CPU / 7076Mi memory; the NotReady node reports none."""
    usage = {
        NODE_HEALTHY_SYSTEM: ("310m", "2051Mi"),  # 16% / 29%
        NODE_HEALTHY_APP: ("540m", "3120Mi"),  # 28% / 44%
        NODE_MEMORY_PRESSURE: ("880m", "6720Mi"),  # 46% / 95%
        NODE_CORDONED: ("95m", "980Mi"),  # 5% / 14%
        NODE_BUSY: ("1780m", "4410Mi"),  # 92% / 62%
    }
    return [
        {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
         "metadata": meta(name, None, now, timedelta(0)), "timestamp": ts(now, timedelta(seconds=20)),
         "window": "20s", "usage": {"cpu": cpu, "memory": memory}}
        for name, (cpu, memory) in usage.items()
    ]  # fmt: skip


def _binding(kind: str, name: str, role_kind: str, role: str, subjects: list[Obj], now: datetime,
             namespace: str | None = None) -> Obj:  # fmt: skip
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": meta(name, namespace, now, 200 * DAY),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": subjects}  # fmt: skip


def _subject(kind: str, name: str, namespace: str | None = None) -> Obj:
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"kind": kind, "name": name, "apiGroup": "rbac.authorization.k8s.io"}


def rbac(now: datetime) -> list[Obj]:
    def role(kind: str, name: str, rules: list[Obj], namespace: str | None = None) -> Obj:
        return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
                "metadata": meta(name, namespace, now, 400 * DAY), "rules": rules}  # fmt: skip

    everything = [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ]
    read = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]
    return [
        role("ClusterRole", "cluster-admin", everything),
        role("ClusterRole", "view", read),
        role("ClusterRole", "edit", [{"apiGroups": ["", "apps", "batch"], "resources": ["*"],
                                      "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}]),
        role("ClusterRole", "opsbook-readonly", read),
        role("Role", "pod-reader", [{"apiGroups": [""], "resources": ["pods", "pods/log"],
                                     "verbs": ["get", "list"]}], "production"),
        _binding("ClusterRoleBinding", "cluster-admin", "ClusterRole", "cluster-admin",
                 [_subject("Group", "system:masters")], now),
        _binding("ClusterRoleBinding", "jane-cluster-admin", "ClusterRole", "cluster-admin",
                 [_subject("User", "jane@mycompany.com")], now),
        _binding("ClusterRoleBinding", "ops-admins", "ClusterRole", "cluster-admin",
                 [_subject("Group", "ops-admins")], now),
        _binding("ClusterRoleBinding", "opsbook-readonly", "ClusterRole", "opsbook-readonly",
                 [_subject("Group", "opsbook-readers"), _subject("ServiceAccount", "opsbook", "kube-system")], now),
        _binding("ClusterRoleBinding", "velero", "ClusterRole", "cluster-admin",
                 [_subject("ServiceAccount", "velero", "velero")], now),
        _binding("RoleBinding", "developers-edit", "ClusterRole", "edit", [_subject("Group", "developers")], now,
                 "production"),
        _binding("RoleBinding", "support-pod-reader", "Role", "pod-reader", [_subject("User", "support@mycompany.com")],
                 now, "production"),
    ]  # fmt: skip


def last_run(now: datetime, hour: int, weekday: int | None = None) -> datetime:
    """The latest `0 <hour> * * <weekday>` (UTC; weekday 0 = Sunday, None = every day) at least 15 minutes
    before `now`, so that a backup started then has finished."""
    run = (now - timedelta(minutes=15)).replace(hour=hour, minute=0, second=0, microsecond=0)
    while run > now - timedelta(minutes=15) or (weekday is not None and run.isoweekday() % 7 != weekday):
        run -= DAY
    return run


def velero(now: datetime) -> list[Obj]:
    """Backups start at their schedule's cron times: daily-backup (`0 2 * * *`) ran at its last 02:00 and
    the two days before (Completed, Failed, PartiallyFailed); weekly-full (`0 3 * * 0`) is the deliberate
    late case: its latest Completed backup is from three Sundays ago, the last two runs never happened.
    Restore drills done by hand (`velero restore create`): the latest daily backup was restored minutes
    after it completed (velero.restore_drill passes), the weekly one only a day after its old backup (fails)."""

    def obj(
        kind: str, name: str, spec: Obj, status: Obj, age: timedelta, labels: dict[str, str] | None = None
    ) -> Obj:
        return {"apiVersion": "velero.io/v1", "kind": kind, "metadata": meta(name, "velero", now, age, labels=labels),
                "spec": spec, "status": status}  # fmt: skip

    def backup(schedule: str | None, started: datetime, phase: str, errors: int = 0, warnings: int = 0,
               reason: str = "") -> Obj:  # fmt: skip
        ago = now - started
        name = f"{schedule}-{started:%Y%m%d%H%M%S}" if schedule else f"my-backup-{started:%Y%m%d}"
        status: Obj = {
            "phase": phase,
            "startTimestamp": ts(now, ago),
            "expiration": ts(now, ago - 30 * DAY),
            "errors": errors,
            "warnings": warnings,
            "version": 1,
            "formatVersion": "1.1.0",
            "progress": {"totalItems": 812, "itemsBackedUp": 812 if phase == "Completed" else 640},
        }
        if phase != "InProgress":
            status["completionTimestamp"] = ts(now, ago - timedelta(minutes=4))
        if reason:
            status["failureReason"] = reason
        labels = (
            {"velero.io/schedule-name": schedule, "velero.io/storage-location": "default"} if schedule else {}
        )
        spec = {"includedNamespaces": ["*"], "storageLocation": "default", "ttl": "720h0m0s"}
        return obj("Backup", name, spec, status, ago, labels)  # fmt: skip

    def schedule(name: str, cron: str, last: datetime) -> Obj:
        spec = {
            "schedule": cron,
            "template": {"includedNamespaces": ["*"], "storageLocation": "default", "ttl": "720h0m0s"},
        }
        return obj("Schedule", name, spec, {"phase": "Enabled", "lastBackup": ts(last)}, 300 * DAY)  # fmt: skip

    daily = last_run(now, 2)
    weekly = last_run(now, 3, weekday=0) - 14 * DAY  # the Sundays since were missed
    manual = (now - 2 * DAY).replace(minute=17, second=0, microsecond=0)
    return [
        obj("BackupStorageLocation", "default", {"provider": "aws", "default": True,
            "objectStorage": {"bucket": "mycompany-prod-velero-backups"}, "config": {"region": "us-east-1"}},
            {"phase": "Available", "lastValidationTime": ts(now, timedelta(minutes=1))}, 300 * DAY),
        schedule("daily-backup", "0 2 * * *", daily),
        schedule("weekly-full", "0 3 * * 0", weekly),
        backup("daily-backup", daily, "Completed"),
        backup("daily-backup", daily - DAY, "Failed",
               reason="error getting backup storage location: timed out waiting for cache to sync"),
        backup("daily-backup", daily - 2 * DAY, "PartiallyFailed", errors=3, warnings=1),
        backup("weekly-full", weekly, "Completed"),
        backup(None, manual, "Completed"),
        obj("Restore", "restore-drill-weekly", {"backupName": f"weekly-full-{weekly:%Y%m%d%H%M%S}",
            "includedNamespaces": ["production"]}, {"phase": "Completed", "errors": 0, "warnings": 2,
            "startTimestamp": ts(weekly + DAY), "completionTimestamp": ts(weekly + DAY + timedelta(minutes=9))},
            now - weekly - DAY),
        obj("Restore", "restore-test-daily", {"backupName": f"daily-backup-{daily:%Y%m%d%H%M%S}",
            "includedNamespaces": ["default"], "namespaceMapping": {"default": "default-restore-test"}},
            {"phase": "Completed", "errors": 0, "warnings": 0, "startTimestamp": ts(daily + timedelta(minutes=5)),
             "completionTimestamp": ts(daily + timedelta(minutes=8, seconds=20))}, now - daily - timedelta(minutes=5)),
    ]  # fmt: skip


def config(now: datetime) -> list[Obj]:
    aws_auth = (
        "- rolearn: arn:aws:iam::333333333333:role/my-cluster-node-role\n"
        "  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n"
        "- rolearn: arn:aws:iam::333333333333:role/PlatformAdmin\n  username: platform-admin\n"
        "  groups: [ops-admins]\n"
    )
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("aws-auth", "kube-system", now, 400 * DAY),
         "data": {"mapRoles": aws_auth}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("myapp-config", "production", now, 60 * DAY),
         "data": {"LOG_LEVEL": "info", "DB_HOST": "my-database.cluster-abc.us-east-1.rds.amazonaws.com"}},
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta("myapp-db", "production", now,
         60 * DAY), "data": {"password": "c2FuZGJveC1ub3QtYS1zZWNyZXQ="}},
    ]  # fmt: skip


def events(now: datetime) -> list[Obj]:
    rows = [
        ("production", "Pod", "payments-5f7b9c8d4-c7xkq", "Warning", "BackOff", "Back-off restarting failed container app in pod payments-5f7b9c8d4-c7xkq", 212),
        ("production", "Pod", "payments-5f7b9c8d4-m4pz8", "Warning", "OOMKilling", "Memory cgroup out of memory: Killed process 4121 (java)", 27),
        ("production", "Pod", "worker-59d6f7c8b-zt5lq", "Warning", "FailedScheduling", "0/6 nodes are available: 4 Insufficient cpu.", 580),
        ("production", "HorizontalPodAutoscaler", "payments", "Warning", "FailedGetResourceMetric", "failed to get cpu utilization: missing request for cpu in container app of Pod payments-5f7b9c8d4-c7xkq", 96),
        ("production", "Deployment", "my-app", "Normal", "ScalingReplicaSet", "Scaled up replica set my-app-7c9d8f6b5 to 4", 1),
        ("default", "Node", NODE_NOT_READY, "Normal", "NodeNotReady", f"Node {NODE_NOT_READY} status is now: NodeNotReady", 1),
    ]  # fmt: skip
    out = []
    for i, (ns, kind, name, kind_, reason, message, count) in enumerate(rows):
        out.append({"apiVersion": "v1", "kind": "Event", "type": kind_, "reason": reason, "message": message,
                    "metadata": meta(f"{name}.{0x17f3a2b4c5d6e7f0 + i:x}", ns, now, timedelta(hours=2)),
                    "involvedObject": {"kind": kind, "name": name, "namespace": ns if kind != "Node" else None},
                    "count": count, "firstTimestamp": ts(now, timedelta(hours=2)),
                    "lastTimestamp": ts(now, timedelta(minutes=3)), "source": {"component": "kubelet"}})  # fmt: skip
    return out


def seed_objects(now: datetime | None = None) -> list[Obj]:
    """Every seeded object, namespaces first, in an order a store can create them in."""
    now = now or datetime.now(UTC)
    work = workloads(now)
    pods = [o for o in work if o["kind"] == "Pod"]
    return [
        *namespaces(now),
        *nodes(now),
        *work,
        *daemonsets(now),
        *hpas(now),
        *node_metrics(now),
        *pod_metrics(now, pods),
        *rbac(now),
        *velero(now),
        *config(now),
        *events(now),
    ]


def _spread(now: datetime, messages: list[str], repeat: int, every: timedelta) -> list[tuple[datetime, str]]:
    lines = [messages[i % len(messages)] for i in range(repeat)]
    return [(now - every * (len(lines) - i), line) for i, line in enumerate(lines)]


def seed_logs(now: datetime | None = None) -> list[LogSeed]:
    """Container logs: myapp with errors, my-app clean, payments' crash and OOM, platform components."""
    now = now or datetime.now(UTC)
    myapp = [
        "INFO  [http] GET /api/orders 200 12ms",
        "INFO  [http] GET /api/orders/1842 200 8ms",
        "ERROR [db] Database connection timeout after 30s (host=my-database port=5432)",
        "INFO  [http] POST /api/orders 201 41ms",
        "WARN  [cache] redis latency 850ms above threshold 500ms",
        "ERROR [payments-client] Exception: upstream request to payments:8080 timed out",
        "INFO  [http] GET /healthz 200 1ms",
        "ERROR [db] Database connection timeout after 30s (host=my-database port=5432)",
    ]
    healthy = ["INFO  [http] GET /healthz 200 1ms", "INFO  [http] GET /api/catalog 200 9ms",
               "INFO  [worker] processed batch of 50 events in 120ms"]  # fmt: skip
    crash = ["INFO  starting payments 3.1.0", "INFO  connecting to my-database:5432",
             "ERROR Exception in thread \"main\" java.net.SocketTimeoutException: connect timed out",
             "ERROR shutting down: could not connect to database"]  # fmt: skip
    oom = ["INFO  starting payments 3.1.0", "WARN  heap usage 91% (466Mi of 512Mi)",
           "WARN  heap usage 98% (502Mi of 512Mi)", "INFO  settlement batch 2211 started"]  # fmt: skip
    seeds = [
        LogSeed("production", f"myapp-6d4cf56db6-{s}", "app", _spread(now, myapp, 120, timedelta(seconds=30)))
        for s in ("2xkqp", "8fjzl", "t7wnm")
    ]
    seeds += [
        LogSeed(
            "production", f"my-app-7c9d8f6b5-{s}", "app", _spread(now, healthy, 90, timedelta(seconds=40))
        )
        for s in ("4kd2m", "9xw7p", "h2v5c", "q8r3t")
    ]
    seeds += [
        LogSeed("production", "payments-5f7b9c8d4-c7xkq", "app", _spread(now, crash, 4, timedelta(seconds=2))),
        LogSeed("production", "payments-5f7b9c8d4-c7xkq", "app",
                _spread(now - timedelta(minutes=5), crash, 4, timedelta(seconds=2)), previous=True),
        LogSeed("production", "payments-5f7b9c8d4-m4pz8", "app", _spread(now, oom, 4, timedelta(minutes=4))),
        LogSeed("production", "payments-5f7b9c8d4-w2n6j", "app", _spread(now, healthy, 30, timedelta(minutes=1))),
        LogSeed("default", "legacy-app-84c5d6f7b9-kx8ds", "app", _spread(now, [
            '10.0.2.20 - - "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.32"'], 20, timedelta(minutes=1))),
        LogSeed("kube-system", "coredns-787cb67946-2zmk4", "app", _spread(now, [
            "[INFO] plugin/reload: Running configuration SHA512 = 8a7d59126e7f114ab49c6d2613be93d8"], 3, DAY)),
        LogSeed("velero", "velero-6b8f9c7d5-v1x2y", "app", _spread(now, [
            'level=info msg="Backup completed" backup=velero/daily-backup logSource="pkg/controller/backup_controller.go"',
            'level=error msg="backup failed" error="timed out waiting for cache to sync" backup=velero/daily-backup']
            , 6, timedelta(hours=6))),
    ]  # fmt: skip
    return seeds


def seed_cluster(store: ClusterStore, now: datetime | None = None) -> None:
    """Load the seeded `my-cluster` into `store` (objects kept as given, then logs)."""
    now = now or datetime.now(UTC)
    for obj in seed_objects(now):
        store.put(obj)
    for log in seed_logs(now):
        store.set_logs(log.namespace, log.pod, log.container, log.lines, previous=log.previous)
