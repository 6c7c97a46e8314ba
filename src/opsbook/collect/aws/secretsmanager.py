"""Secrets Manager: every secret's metadata (never its value) from one paginated ListSecrets."""

from __future__ import annotations

from opsbook.collect.aws.security_models import Secret
from opsbook.core.collectors import CollectContext, collector


@collector("secretsmanager.secrets", permissions=("secretsmanager:ListSecrets",))
def secrets(ctx: CollectContext) -> list[Secret]:
    out: list[Secret] = []
    for page in ctx.client("secretsmanager").get_paginator("list_secrets").paginate():
        for s in page.get("SecretList", []):
            if s.get("DeletedDate"):
                continue
            out.append(
                Secret(
                    arn=s["ARN"],
                    name=s["Name"],
                    created=s.get("CreatedDate"),
                    last_accessed=s.get("LastAccessedDate"),
                    last_changed=s.get("LastChangedDate"),
                    last_rotated=s.get("LastRotatedDate"),
                    next_rotation=s.get("NextRotationDate"),
                    rotation_enabled=bool(s.get("RotationEnabled")),
                    rotation_days=(s.get("RotationRules") or {}).get("AutomaticallyAfterDays"),
                    owning_service=s.get("OwningService"),
                )
            )
    return out
