"""Secrets Manager ListSecrets with LastAccessedDate (moto always answers it as null).

moto keeps the secrets; this module answers ListSecrets from moto's backend and adds the last-accessed
date seeded in `data.extra["secretsmanager"][account_id][secret name]` (a datetime). Every other operation
is moto's. Rotation dates in the past are set on moto's secret objects by the seed (seeds/security.py).
"""

from __future__ import annotations

from datetime import datetime

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_response

SERVICE = "secretsmanager"


def list_secrets(call: Call, data: SandboxData) -> Response:
    from moto.secretsmanager.models import secretsmanager_backends

    body = call.json()
    backend = secretsmanager_backends[call.account_id][call.region]
    secrets, token = backend.list_secrets(
        filters=body.get("Filters") or [],
        max_results=int(body.get("MaxResults") or 100),
        next_token=body.get("NextToken"),
        include_planned_deletion=bool(body.get("IncludePlannedDeletion")),
    )
    accessed: dict[str, datetime] = data.extra.get(SERVICE, {}).get(call.account_id, {})
    for s in secrets:
        when = accessed.get(s["Name"])
        s["LastAccessedDate"] = when.timestamp() if when else None
    out: dict[str, object] = {"SecretList": secrets}
    if token:
        out["NextToken"] = token
    return json_response(out)


HANDLERS = {"ListSecrets": list_secrets}
