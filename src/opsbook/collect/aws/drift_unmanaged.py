"""What drift.unmanaged lists in each account x region, once per run: AWS Config's advanced query where a
recorder is recording every Config type the check needs, else the tagging API (GetResources for the
resources tagged as Terraform-managed). The collectors' describe listings (ec2.instances, ...) give the
live resources of the types Config is not asked about.

A Config error (AccessDenied, no recorder, an expression it refuses) is no ERROR: the listing falls back to
the tagging API and says why in `note`; a partly read Config listing is dropped, never used.

The expression is valid Config SQL (docs.aws.amazon.com/config/latest/developerguide/query-components.html:
SELECT property, ... WHERE condition, `IN` list membership; the properties are the ones
awslabs/aws-config-resource-schema lists for every type: resourceId, resourceName, arn, awsRegion, tags,
configurationItemStatus, configuration.path of AWS::IAM::Role); pages of at most 100 (`Limit`) through
NextToken.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import botocore.exceptions

from opsbook.collect.aws.drift_live import UnmanagedSettings
from opsbook.collect.aws.drift_models import ConfigItem, TaggedResource, UnmanagedListing
from opsbook.collect.aws.drift_table import builtin_table, unmanaged_types
from opsbook.core.collectors import CollectContext, Key, SettingsOf, collector
from opsbook.core.config_recording import records

UNMANAGED_LISTING = Key[UnmanagedListing]("drift.unmanaged_listing")
SELECT = (
    "SELECT resourceId, resourceType, resourceName, arn, tags, awsRegion, configurationItemStatus, "
    "configuration.path"
)
DELETED = {"ResourceDeleted", "ResourceDeletedNotRecorded"}  # gone live: Config keeps their last item
PAGE = 100  # SelectResourceConfig's largest Limit


def config_types(types: Iterable[str]) -> list[str]:
    """The Config types of the drift table's `types` that Config can answer for (`config:`)."""
    table = builtin_table()
    return sorted({e.config.type for t in types if (e := table[t]).config is not None})


def expression(types: list[str]) -> str:
    quoted = ", ".join(f"'{t}'" for t in types)
    return f"{SELECT} WHERE resourceType IN ({quoted})"


def not_recorded(cfg: Any, needed: list[str]) -> str:
    """Why Config cannot answer for `needed` here ("" when a recording recorder takes in every type)."""
    statuses = cfg.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    recording = {s["name"] for s in statuses if s.get("recording")}
    recorders = [
        r for r in cfg.describe_configuration_recorders().get("ConfigurationRecorders", [])
        if r.get("name") in recording
    ]  # fmt: skip
    if not recorders:
        return "AWS Config is not recording in this region"
    missing = [t for t in needed if not any(records(r, t) for r in recorders)]
    return f"AWS Config does not record {', '.join(missing)} here" if missing else ""


def item(row: dict[str, Any]) -> ConfigItem:
    return ConfigItem(
        type=row.get("resourceType", ""),
        id=row.get("resourceId", ""),
        name=row.get("resourceName", ""),
        arn=row.get("arn", ""),
        region=row.get("awsRegion", ""),
        tags={t.get("key", ""): t.get("value", "") for t in row.get("tags") or []},
        configuration=row.get("configuration") or {},
    )


def select(cfg: Any, types: list[str]) -> list[ConfigItem]:
    import json

    pages = cfg.get_paginator("select_resource_config").paginate(
        Expression=expression(types), PaginationConfig={"PageSize": PAGE}
    )
    rows = [json.loads(r) for page in pages for r in page.get("Results", [])]
    return [item(r) for r in rows if r.get("configurationItemStatus") not in DELETED]


def tagged(ctx: CollectContext) -> list[TaggedResource]:
    s = ctx.settings
    pages = (
        ctx.client("resourcegroupstaggingapi")
        .get_paginator("get_resources")
        .paginate(TagFilters=[{"Key": s.managed_tag_key, "Values": [s.managed_tag_value]}])
    )
    return [
        TaggedResource(arn=r["ResourceARN"], tags={t["Key"]: t.get("Value", "") for t in r.get("Tags", [])})
        for page in pages
        for r in page.get("ResourceTagMappingList", [])
    ]


@collector(
    UNMANAGED_LISTING,
    permissions=(
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:SelectResourceConfig",
        "tag:GetResources",
    ),
    settings=SettingsOf("drift.unmanaged", UnmanagedSettings),
)
def unmanaged_listing(ctx: CollectContext) -> UnmanagedListing:
    if not ctx.settings.covers(ctx.target.account, ctx.target.region):  # the check reports nothing here
        return UnmanagedListing(source="none", note="outside checks.drift.unmanaged accounts/regions")
    needed = config_types(ctx.settings.types or unmanaged_types())
    note = "" if needed else "AWS Config knows none of the selected types"
    if needed:
        try:
            cfg = ctx.client("config")
            note = not_recorded(cfg, needed)
            if not note:
                return UnmanagedListing(source="config", items=select(cfg, needed))
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            note = f"AWS Config: {err.get('Code', 'error')}: {err.get('Message', '')}".rstrip(": ")
    return UnmanagedListing(source="tagging", note=f"{note}; used the tagging API", tagged=tagged(ctx))
