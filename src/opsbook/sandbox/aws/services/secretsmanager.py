"""Secrets Manager where moto differs from AWS. moto keeps the secrets; this module answers:

- ListSecrets with LastAccessedDate (moto always answers it as null): the last-accessed date seeded in
  `data.extra["secretsmanager"][account_id][secret name]` (a datetime).
- RotateSecret of a secret with a rotation function (RotationLambdaARN) or owned by RDS (an instance's
  MasterUserSecret): moto can only invoke a rotation Lambda in docker, and without one it moves AWSCURRENT
  to a version with no value. The sandbox runs the rotation function's four steps itself, as the AWS
  templates do: createSecret (a new value of the same shape, core/secret_shape.py, as AWSPENDING under the
  ClientRequestToken), setSecret (for an RDS-owned secret: the instance's master password), testSecret
  (nothing to test), finishSecret (AWSCURRENT moves to it, AWSPREVIOUS to the old version). A token that
  is already a version makes the call a no-op, as AWS's idempotency does. Secrets with neither are moto's.
- UpdateSecretVersionStage: moto's, then the secret's default version follows AWSCURRENT (moto keeps
  answering GetSecretValue without a stage from the version it had).
- ListSecretVersionIds with each version's CreatedDate (moto answers "now" for every version), which the
  rotation's proof compares pod start times with.
Every other operation is moto's. Rotation dates in the past are set on moto's secret objects by the seed
(seeds/security.py).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from opsbook.core.secret_shape import ShapeError, new_value
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

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


def _backend(call: Call) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[call.account_id][call.region]


def _current(secret: Any) -> str | None:
    return next((v for v, d in secret.versions.items() if "AWSCURRENT" in d["version_stages"]), None)


def _set_rds_password(call: Call, secret: Any, value: str) -> None:
    """setSecret of an RDS-owned secret: the instance it belongs to gets the new master password."""
    import json

    from moto.rds.models import rds_backends

    arn = next((t["Value"] for t in secret.tags or [] if t["Key"].startswith("aws:rds:primary")), None)
    for db in rds_backends[call.account_id][call.region].databases.values():
        if db.arn == arn:
            db.master_user_password = json.loads(value)["password"]


def rotate_secret(call: Call, data: SandboxData) -> Response:
    from moto.core.exceptions import JsonRESTError

    body = call.json()
    backend = _backend(call)
    secret = backend.secrets.get(body.get("SecretId") or "")
    if secret is None:
        return json_error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    lambda_arn = body.get("RotationLambdaARN") or secret.rotation_lambda_arn
    if not lambda_arn and secret.owning_service != "rds":
        try:  # moto's own rotation (it moves AWSCURRENT itself)
            answer = backend.rotate_secret(
                secret.name, body.get("ClientRequestToken"), None, body.get("RotationRules"),
                bool(body.get("RotateImmediately", True)),
            )  # fmt: skip
        except JsonRESTError as exc:
            return json_error(exc.error_type, exc.message)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, answer.encode()
    token = body.get("ClientRequestToken") or str(uuid.uuid4())
    if token not in secret.versions:
        old = _current(secret)
        try:
            value = new_value(secret.versions[old]["secret_string"])  # createSecret
        except (KeyError, ShapeError) as exc:
            return json_error("InvalidRequestException", f"the rotation function failed: {exc}")
        backend.put_secret_value(secret.name, value, None, token, ["AWSPENDING"])
        if secret.owning_service == "rds":
            _set_rds_password(call, secret, value)  # setSecret; testSecret has nothing to test
        backend.update_secret_version_stage(secret.name, "AWSCURRENT", old, token)  # finishSecret
        secret.versions[token]["version_stages"].remove("AWSPENDING")
        secret.default_version_id = token
        secret.rotation_lambda_arn = lambda_arn or ""
        secret.rotation_requested = True
        secret.last_rotation_date = secret.last_changed_date = int(time.time())
    return json_response({"ARN": secret.arn, "Name": secret.name, "VersionId": token})


def update_secret_version_stage(call: Call, data: SandboxData) -> Response:
    from moto.core.exceptions import JsonRESTError

    body = call.json()
    backend = _backend(call)
    try:
        arn, name = backend.update_secret_version_stage(
            body.get("SecretId") or "",
            body.get("VersionStage") or "",
            body.get("RemoveFromVersionId") or "",
            body.get("MoveToVersionId") or "",
        )
    except JsonRESTError as exc:
        return json_error(exc.error_type, exc.message)
    secret = backend.secrets[name]
    secret.default_version_id = _current(secret) or secret.default_version_id
    return json_response({"ARN": arn, "Name": name})


def list_secret_version_ids(call: Call, data: SandboxData) -> Response:
    body = call.json()
    secret = _backend(call).secrets.get(body.get("SecretId") or "")
    if secret is None:
        return json_error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    versions = [
        {"VersionId": v, "VersionStages": list(d["version_stages"]), "CreatedDate": d.get("createdate")}
        for v, d in secret.versions.items()
    ]
    return json_response({"ARN": secret.arn, "Name": secret.name, "Versions": versions})


HANDLERS = {
    "ListSecretVersionIds": list_secret_version_ids,
    "ListSecrets": list_secrets,
    "RotateSecret": rotate_secret,
    "UpdateSecretVersionStage": update_secret_version_stage,
}
