"""IAM access advisor (moto has no Generate/GetServiceLastAccessedDetails) and ListServiceSpecificCredentials,
answered in the query/XML protocol.

State in `data.extra["iam"][account_id]`:
- `last_accessed`: principal ARN -> [{"ServiceNamespace", "ServiceName", "LastAuthenticated": datetime|None}]
  (a principal without an entry is granted no services);
- `jobs`: job id -> principal ARN (filled by Generate...);
- `stuck`: True makes every job stay IN_PROGRESS (tests of the bounded wait).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, xml_error

SERVICE = "iam"
NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def xml_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def query_response(operation: str, fields: str) -> Response:
    body = (
        f'<{operation}Response xmlns="{NS}"><{operation}Result>{fields}</{operation}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()
    return 200, {"Content-Type": "text/xml"}, body


def param(call: Call, name: str) -> str:
    return ((call.form or call.query).get(name) or [""])[0]


def state(call: Call, data: SandboxData) -> dict[str, Any]:
    with data.lock:
        acct = data.extra.setdefault(SERVICE, {}).setdefault(call.account_id, {})
        acct.setdefault("jobs", {})
        acct.setdefault("last_accessed", {})
        return acct  # type: ignore[no-any-return]


def generate(call: Call, data: SandboxData) -> Response:
    arn = param(call, "Arn")
    if not arn.startswith(f"arn:aws:iam::{call.account_id}:"):
        return xml_error("InvalidInput", f"ARN {arn} is not valid.", 400)
    job = str(uuid.uuid4())
    st = state(call, data)
    with data.lock:
        st["jobs"][job] = (arn, datetime.now(UTC))
    return query_response("GenerateServiceLastAccessedDetails", f"<JobId>{job}</JobId>")


def get(call: Call, data: SandboxData) -> Response:
    st = state(call, data)
    job = param(call, "JobId")
    if job not in st["jobs"]:
        return xml_error("NoSuchEntity", f"Job {job} not found.", 404)
    arn, created = st["jobs"][job]
    now = datetime.now(UTC)
    head = f"<JobType>SERVICE_LEVEL</JobType><JobCreationDate>{xml_value(created)}</JobCreationDate>"
    if st.get("stuck"):
        return query_response(
            "GetServiceLastAccessedDetails",
            f"<JobStatus>IN_PROGRESS</JobStatus>{head}<ServicesLastAccessed/><IsTruncated>false</IsTruncated>",
        )
    members = []
    for s in st["last_accessed"].get(arn, []):
        used = s.get("LastAuthenticated")
        extra = f"<LastAuthenticated>{xml_value(used)}</LastAuthenticated>" if used else ""
        members.append(
            f"<member><ServiceName>{xml_value(s['ServiceName'])}</ServiceName>"
            f"<ServiceNamespace>{xml_value(s['ServiceNamespace'])}</ServiceNamespace>{extra}"
            f"<TotalAuthenticatedEntities>{1 if used else 0}</TotalAuthenticatedEntities></member>"
        )
    return query_response(
        "GetServiceLastAccessedDetails",
        f"<JobStatus>COMPLETED</JobStatus>{head}<ServicesLastAccessed>{''.join(members)}</ServicesLastAccessed>"
        f"<JobCompletionDate>{xml_value(now)}</JobCompletionDate><IsTruncated>false</IsTruncated>",
    )


def service_specific_credentials(call: Call, data: SandboxData) -> Response:
    """ListServiceSpecificCredentials (moto lacks it): the sandbox's users have none (CodeCommit, Keyspaces)."""
    return query_response("ListServiceSpecificCredentials", "<ServiceSpecificCredentials/>")


HANDLERS = {
    "GenerateServiceLastAccessedDetails": generate,
    "GetServiceLastAccessedDetails": get,
    "ListServiceSpecificCredentials": service_specific_credentials,
}
