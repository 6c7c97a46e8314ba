"""DescribeOrderableDBInstanceOptions for PostgreSQL, MySQL and MariaDB (moto answers only Aurora
PostgreSQL and Neptune, and an empty list for the rest, so no class would look offered).

The sandbox offers the current general-purpose, memory-optimised and burstable classes below for every
version of these engines (AWS narrows them per version; the sandbox does not). Classes AWS offers only for
other engines (db.z1d, db.x1e: Oracle and SQL Server) or that do not exist are not listed. Other engines
fall through to moto. Pages by MaxRecords/Marker as RDS does.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.services.rds import param, xml_response
from opsbook.sandbox.aws.wire import Call, Response, xml_error

SERVICE = "rds"
SIZES = {
    "t3": ("micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "t4g": ("micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "m6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
}
CLASSES = tuple(f"db.{family}.{size}" for family, sizes in SIZES.items() for size in sizes)
ENGINES = {
    "postgres": "postgresql-license",
    "mysql": "general-public-license",
    "mariadb": "general-public-license",
}
DEFAULT_VERSION = {"postgres": "9.3.3", "mysql": "5.6.21", "mariadb": "10.11.8"}  # moto's defaults
ZONES = ("a", "b", "c")


def option(call: Call, engine: str, version: str, cls: str) -> str:
    zones = "".join(f"<AvailabilityZone><Name>{call.region}{z}</Name></AvailabilityZone>" for z in ZONES)
    return (
        "<OrderableDBInstanceOption>"
        f"<Engine>{escape(engine)}</Engine><EngineVersion>{escape(version)}</EngineVersion>"
        f"<DBInstanceClass>{cls}</DBInstanceClass><LicenseModel>{ENGINES[engine]}</LicenseModel>"
        f"<AvailabilityZones>{zones}</AvailabilityZones>"
        "<MultiAZCapable>true</MultiAZCapable><ReadReplicaCapable>true</ReadReplicaCapable>"
        "<Vpc>true</Vpc><SupportsStorageEncryption>true</SupportsStorageEncryption>"
        "<StorageType>gp2</StorageType><SupportsIops>false</SupportsIops>"
        "<MinStorageSize>20</MinStorageSize><MaxStorageSize>65536</MaxStorageSize>"
        "</OrderableDBInstanceOption>"
    )


def describe_orderable_db_instance_options(call: Call, data: SandboxData) -> Response | None:
    engine = param(call, "Engine") or ""
    if engine not in ENGINES:
        return None  # moto's answer (Aurora PostgreSQL, Neptune) or its empty list
    version = param(call, "EngineVersion") or DEFAULT_VERSION[engine]
    wanted = param(call, "DBInstanceClass")
    classes = [c for c in CLASSES if not wanted or c == wanted]
    try:
        start = int(param(call, "Marker") or 0)
        size = int(param(call, "MaxRecords") or 100)
    except ValueError:
        return xml_error("InvalidParameterValue", "Invalid Marker or MaxRecords", 400)
    if not 20 <= size <= 1000:
        return xml_error("InvalidParameterValue", "MaxRecords must be between 20 and 1000", 400)
    page = classes[start : start + size]
    marker = f"<Marker>{start + size}</Marker>" if start + size < len(classes) else ""
    items = "".join(option(call, engine, version, c) for c in page)
    return xml_response(
        "DescribeOrderableDBInstanceOptions",
        f"<OrderableDBInstanceOptions>{items}</OrderableDBInstanceOptions>{marker}",
    )


HANDLERS = {"DescribeOrderableDBInstanceOptions": describe_orderable_db_instance_options}
