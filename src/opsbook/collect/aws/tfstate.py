"""Terraform state read from the S3 backends the Atmos stacks configure (account-wide: once per account).

Every state object the stacks name for the account, plus any other `*.tfstate` object in the same
buckets (a root module outside the stacks tree still manages what it holds): one ListObjectsV2 per bucket
and one GetObject per state object per run. An object that cannot be read or is not state format v4 is a
problem line (the checks report it as ERROR), never an empty state.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from opsbook.collect.aws.drift_models import StateResource, TerraformStates
from opsbook.core.aws_names import parse_arn
from opsbook.core.collectors import CollectContext, Key, collector
from opsbook.core.drift import Ignore, ignores_path, load_ignores
from opsbook.core.errors import InputError
from opsbook.providers.terraform.state import StateInstance, parse_state

TF_STATES = Key[TerraformStates]("terraform.states")


def state_keys(s3: Any, bucket: str, suffixes: set[str]) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].rsplit("/", 1)[-1] in suffixes)
    return keys


def owner_of_key(key: str) -> tuple[str, str]:
    """(stack, component) of an object the stacks do not name, from the S3 backend's key layout
    `<workspace_key_prefix>/<workspace>/<key>`."""
    parts = key.split("/")
    return (parts[-2], parts[0]) if len(parts) >= 3 else ("", "")


@collector(TF_STATES, permissions=("s3:ListBucket", "s3:GetObject"), scope="account")
def terraform_states(ctx: CollectContext) -> TerraformStates:
    from opsbook.providers.atmos.backends import account_backends

    cfg = ctx.config
    if cfg.stacks is None:
        return TerraformStates(configured=False)
    s3 = ctx.client("s3")
    objects: list[str] = []
    resources: list[StateResource] = []
    problems: list[str] = []  # one object that cannot be read does not hide the others' drift
    for backend in account_backends(cfg, cfg.account(ctx.target.account)):
        suffixes = {k.rsplit("/", 1)[-1] for k in backend.keys}
        try:
            listed = state_keys(s3, backend.bucket, suffixes)
        except botocore.exceptions.ClientError as exc:
            problems.append(f"s3://{backend.bucket}: {exc.response.get('Error', {}).get('Code')}")
            continue
        for key in sorted(set(listed)):
            where = f"s3://{backend.bucket}/{key}"
            named = backend.objects.get(key)
            stack, component = (named.stack, named.component) if named else owner_of_key(key)
            try:
                body = s3.get_object(Bucket=backend.bucket, Key=key)["Body"].read()
                instances = parse_state(body, where)
            except botocore.exceptions.ClientError as exc:
                problems.append(f"{where}: {exc.response.get('Error', {}).get('Code')}")
                continue
            except InputError as exc:
                problems.append(str(exc))
                continue
            objects.append(where)
            regions = located(instances, backend.region or ctx.target.region or "")
            resources.extend(
                StateResource(
                    **i.model_dump(),
                    stack=stack,
                    component=component,
                    file=named.file if named else "",
                    state=where,
                    region=region,
                )
                for i, region in zip(instances, regions, strict=True)
            )
    return TerraformStates(objects=objects, resources=resources, problems=problems)


def located(instances: list[StateInstance], default: str) -> list[str]:
    """Each instance's region: its `region` attribute, else its ARN's region, else that of the bucket it
    configures (`bucket` naming a bucket of the same state), else `default` (the backend's region: global
    resources such as IAM are compared once per account, on that region)."""

    def own(attrs: dict[str, Any]) -> str:
        if attrs.get("region"):
            return str(attrs["region"])
        try:
            return parse_arn(str(attrs.get("arn") or "")).region
        except ValueError:
            return ""

    buckets = {i.attributes.get("bucket"): own(i.attributes) for i in instances if i.type == "aws_s3_bucket"}
    return [own(i.attributes) or buckets.get(i.attributes.get("bucket")) or default for i in instances]


STATE_IGNORES = Key[list[Ignore]]("terraform.states_ignores")


@collector(STATE_IGNORES, permissions=(), deps=(TF_STATES,), scope="account")
def state_ignores(ctx: CollectContext) -> list[Ignore]:
    """The drift ignores file (core/drift.py: accepted drift with a reason and an expiry), for the states it
    applies to; the same file `drift.terraform_plan` reads."""
    return load_ignores(ignores_path(ctx.config))
