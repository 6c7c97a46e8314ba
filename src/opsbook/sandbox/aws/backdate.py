"""Dates moto's APIs always stamp "now", set on its in-process backends (the sandbox runs moto here).

The seeded estate has a history: an instance launched 400 days ago, a snapshot taken 200 days ago...
Each helper back-dates one object together with what AWS stamps at the same moment (an instance's root
volume and primary ENI, a DB instance's copy in its snapshots), so that no object is older than its
parent. tests/sandbox/test_seed_consistency.py reads the result through the real APIs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook.sandbox.estate import REGION

STOPPED_EVENT = "DB instance stopped"  # RDS-EVENT-0087, as DescribeEvents words it


def ec2_backend(account_id: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][REGION]


def instance(account_id: str, instance_id: str, when: datetime) -> None:
    """Launched at `when`: with it its root volume, its primary ENI and their attachments."""
    inst = ec2_backend(account_id).get_instance(instance_id)
    inst.launch_time = when
    for eni in inst.nics.values():
        eni.attach_time = when
    for bdm in inst.block_device_mapping.values():
        volume(account_id, bdm.volume_id, when)
        attachment(account_id, bdm.volume_id, when)


def volume(account_id: str, volume_id: str, when: datetime) -> None:
    ec2_backend(account_id).volumes[volume_id].create_time = when


def attachment(account_id: str, volume_id: str, when: datetime) -> None:
    """A volume attached at `when` (as the volume and as the instance's block device mapping show it)."""
    vol = ec2_backend(account_id).volumes[volume_id]
    if vol.attachment is not None:
        vol.attachment.attach_time = when
        for bdm in vol.attachment.instance.block_device_mapping.values():
            if bdm.volume_id == volume_id:
                bdm.attach_time = when


def snapshot(account_id: str, snapshot_id: str, when: datetime, volume_id: str | None = None) -> None:
    """Taken at `when`, of `volume_id` if given (CreateImage's snapshot is of the instance's root volume;
    moto takes it of a scratch volume it then deletes)."""
    backend = ec2_backend(account_id)
    snap = backend.snapshots[snapshot_id]
    snap.start_time = when
    if volume_id is not None:
        snap.volume = backend.volumes[volume_id]


def image(account_id: str, image_id: str, when: datetime) -> None:
    """Registered at `when` by CreateImage, which snapshots the source instance's root volume then."""
    backend = ec2_backend(account_id)
    ami = backend.amis[image_id]
    ami.creation_date = when
    root = next(iter(ami.instance.block_device_mapping.values())).volume_id if ami.instance else None
    snapshot(account_id, ami.ebs_snapshot.id, when, root)


def load_balancer(account_id: str, arn: str, when: datetime) -> None:
    from moto.core.utils import iso_8601_datetime_with_milliseconds
    from moto.elbv2.models import elbv2_backends

    elbv2_backends[account_id][REGION].load_balancers[arn].created_time = iso_8601_datetime_with_milliseconds(
        when
    )


def db_instance(account_id: str, identifier: str, when: datetime) -> None:
    """Created at `when` (its snapshots keep a copy of the instance: theirs too)."""
    from moto.rds.models import rds_backends

    backend = rds_backends[account_id][REGION]
    db = backend.databases[identifier]
    db.created = db.instance_create_time = when
    for snap in backend.database_snapshots.values():
        if snap.db_instance_identifier == identifier:
            snap.instance_create_time = when
            snap.database.created = when


def db_snapshot(account_id: str, identifier: str, when: datetime) -> None:
    from moto.rds.models import rds_backends

    snap = rds_backends[account_id][REGION].database_snapshots[identifier]
    snap.created = snap.original_snapshot_create_time = when
    snap.status = "available"  # taken long ago: long finished
    snap.percent_progress = 100  # type: ignore[attr-defined]


def db_stopped(account_id: str, identifier: str, when: datetime, last_backup: datetime) -> None:
    """Stopped at `when` (its `DB instance stopped` event, sandbox/aws/fixes.py); automated backups stop
    with it, so its automated snapshot is the one taken at `last_backup`, named for that time as RDS
    names automated snapshots (`rds:<instance>-YYYY-MM-DD-HH-MM`)."""
    from moto.rds.models import rds_backends

    backend = rds_backends[account_id][REGION]
    for event in backend.events:
        if event.source_identifier == identifier and event.message == STOPPED_EVENT:
            event.date = when
    automated = [
        key
        for key, snap in backend.database_snapshots.items()
        if snap.db_instance_identifier == identifier and snap.snapshot_type == "automated"
    ]
    for key in automated:
        snap = backend.database_snapshots.pop(key)
        snap.db_snapshot_identifier = f"rds:{identifier}-{last_backup:%Y-%m-%d-%H-%M}"
        snap.created = snap.original_snapshot_create_time = last_backup
        backend.database_snapshots[snap.db_snapshot_identifier] = snap


def eks_cluster(account_id: str, name: str, when: datetime, nodegroups_after: timedelta) -> None:
    """Created at `when`; its node groups `nodegroups_after` it."""
    from moto.eks.models import eks_backends

    cluster = eks_backends[account_id][REGION].clusters[name]
    cluster.created_at = when
    for ng in cluster.nodegroups.values():
        ng.created_at = ng.modified_at = when + nodegroups_after


def iam_user(account_id: str, name: str, when: datetime) -> None:
    from moto.iam.models import iam_backends

    iam_backends[account_id]["global"].users[name].create_date = when  # moto's login profile shares it


def iam_access_keys(account_id: str, user: str, when: datetime) -> None:
    from moto.iam.models import iam_backends

    for key in iam_backends[account_id]["global"].users[user].access_keys:
        key.create_date = when


def iam_role(account_id: str, name: str, when: datetime) -> None:
    from moto.iam.models import iam_backends

    iam_backends[account_id]["global"].get_role(name).create_date = when


def secret(account_id: str, name: str, when: datetime) -> None:
    """Created (and last changed) at `when`; a later rotation changes it again (see seeds/security.py)."""
    from moto.secretsmanager.models import secretsmanager_backends

    s: Any = secretsmanager_backends[account_id][REGION].secrets[name]
    s.created_date = s.last_changed_date = int(when.timestamp())


def guardduty_detector(account_id: str, detector_id: str, when: datetime) -> None:
    """GuardDuty enabled at `when` (before its findings). moto keeps the time naive and prints it as UTC."""
    from moto.guardduty.models import guardduty_backends

    detector = guardduty_backends[account_id][REGION].detectors[detector_id]
    detector.created_at = detector.updated_at = when.astimezone(UTC).replace(tzinfo=None)


def buckets(account_id: str, when: datetime) -> None:
    """Every bucket of the account created at `when` (before the S3 metrics CloudWatch has of it)."""
    from moto.s3.models import s3_backends

    for bucket in s3_backends[account_id]["aws"].buckets.values():
        bucket.creation_date = when


def s3_objects(account_id: str, bucket: str, when: datetime, earlier: timedelta | None = None) -> None:
    """Every object (every version) of the bucket written at `when`; with `earlier`, each object's older
    versions that much before. moto keeps the time naive UTC."""
    from moto.s3.models import s3_backends

    naive = when.astimezone(UTC).replace(tzinfo=None)
    for _name, versions in s3_backends[account_id]["aws"].buckets[bucket].keys.lists():
        for i, key in enumerate(versions):  # oldest first
            key.last_modified = naive - earlier if earlier is not None and i < len(versions) - 1 else naive


def log_groups(account_id: str, when: datetime) -> None:
    """Every log group of the account, and its streams, created at `when` (before their events)."""
    from moto.logs.models import logs_backends

    millis = int(when.timestamp() * 1000)
    for group in logs_backends[account_id][REGION].groups.values():
        group.creation_time = millis
        for stream in group.streams.values():
            stream.creation_time = millis


def flow_logs(account_id: str, when: datetime) -> None:
    """Every flow log of the account created at `when` (with the log group it delivers to). moto keeps
    the time naive UTC."""
    for flow_log in ec2_backend(account_id).flow_logs.values():
        flow_log.creation_time = when.astimezone(UTC).replace(tzinfo=None)


def config_recorder(account_id: str, name: str, started: datetime, stopped: datetime | None) -> None:
    """Recording since `started` (and stopped at `stopped`, if given): its evaluations fall in between."""
    from moto.config.models import config_backends

    status = config_backends[account_id][REGION].recorders[name].status
    status.last_start_time = status.last_status_change_time = int(started.timestamp())
    status.last_status = "SUCCESS"
    if stopped is not None:
        status.last_stop_time = status.last_status_change_time = int(stopped.timestamp())


def iam_user_used(account_id: str, user: str, login: datetime | None, key_used: datetime | None) -> None:
    """The user's last console login (PasswordLastUsed) and its access keys' last use (AccessKeyLastUsed)."""
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    found: Any = iam_backends[account_id]["global"].users[user]
    found.password_last_used = login
    for key in found.access_keys:
        key.last_used = AccessKeyLastUsed(key_used, "s3", REGION) if key_used else None


def iam_role_used(account_id: str, name: str, when: datetime) -> None:
    """RoleLastUsed: when the role was last assumed."""
    from moto.iam.models import iam_backends

    role: Any = iam_backends[account_id]["global"].get_role(name)
    role.last_used, role.last_used_region = when, REGION
