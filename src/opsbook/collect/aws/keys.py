"""Typed inventory keys: the collector -> check contract, checked by mypy (`ctx[VOLUMES]` is typed);
tests/checks/test_registry_meta.py checks each collector's return annotation against its key's type."""

from __future__ import annotations

from opsbook.collect.aws.cost_models import Bucket, EbsVolume
from opsbook.collect.aws.models import DbInstance
from opsbook.core.collectors import Key

VOLUMES = Key[list[EbsVolume]]("ec2.volumes")
RDS_INSTANCES = Key[list[DbInstance]]("rds.instances")
S3_BUCKETS = Key[list[Bucket]]("s3.buckets")
