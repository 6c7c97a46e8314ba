"""RDS log files (moto lists placeholder files and cannot download any), served from seeded text.

`data.extra["rds"][account][db instance id]` = {log file name: (last written, epoch ms; text)}.
DescribeDBLogFiles of an instance with no seeded files lists none; DownloadDBLogFilePortion pages through
a file PORTION_LINES lines at a time with an opaque Marker, as RDS does.
"""

from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, xml_error

SERVICE = "rds"
NS = "http://rds.amazonaws.com/doc/2014-10-31/"
PORTION_LINES = 40


def xml_response(operation: str, inner: str) -> Response:
    body = (
        f'<{operation}Response xmlns="{NS}"><{operation}Result>{inner}</{operation}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()
    return 200, {"Content-Type": "text/xml"}, body


def param(call: Call, name: str) -> str | None:
    values = call.form.get(name) or call.query.get(name)
    return values[0] if values else None


def instance_files(call: Call, data: SandboxData, db: str) -> dict[str, Any] | Response:
    from moto.rds.models import rds_backends

    if db not in rds_backends[call.account_id][call.region].databases:
        return xml_error("DBInstanceNotFound", f"DBInstance {db} not found.", 404)
    files: dict[str, Any] = data.extra.get(SERVICE, {}).get(call.account_id, {}).get(db, {})
    return files


def describe_db_log_files(call: Call, data: SandboxData) -> Response:
    files = instance_files(call, data, param(call, "DBInstanceIdentifier") or "")
    if not isinstance(files, dict):
        return files
    since = int(param(call, "FileLastWritten") or 0)
    contains = param(call, "FilenameContains") or ""
    items = "".join(
        "<DescribeDBLogFilesDetails>"
        f"<LogFileName>{escape(name)}</LogFileName><LastWritten>{written}</LastWritten>"
        f"<Size>{len(text.encode())}</Size></DescribeDBLogFilesDetails>"
        for name, (written, text) in sorted(files.items())
        if written >= since and contains in name
    )
    return xml_response("DescribeDBLogFiles", f"<DescribeDBLogFiles>{items}</DescribeDBLogFiles>")


def download_db_log_file_portion(call: Call, data: SandboxData) -> Response:
    files = instance_files(call, data, param(call, "DBInstanceIdentifier") or "")
    if not isinstance(files, dict):
        return files
    name = param(call, "LogFileName") or ""
    if name not in files:
        return xml_error(
            "DBLogFileNotFoundFault", f"DBLog File: {name}, is not found on the DB instance", 404
        )
    lines = files[name][1].splitlines(keepends=True)
    marker = param(call, "Marker") or "0"
    try:
        start = int(marker.split(":")[-1])
    except ValueError:
        return xml_error("InvalidParameterValue", f"Invalid marker {marker!r}", 400)
    count = int(param(call, "NumberOfLines") or PORTION_LINES)
    chunk = lines[start : start + count]
    end = start + len(chunk)
    pending = "true" if end < len(lines) else "false"
    inner = (
        f"<LogFileData>{escape(''.join(chunk))}</LogFileData><Marker>0:{end}</Marker>"
        f"<AdditionalDataPending>{pending}</AdditionalDataPending>"
    )
    return xml_response("DownloadDBLogFilePortion", inner)


HANDLERS = {
    "DescribeDBLogFiles": describe_db_log_files,
    "DownloadDBLogFilePortion": download_db_log_file_portion,
}
