"""Friday, the guide's "Check for manual changes": resources that no Terraform state holds (opt-in: it
lists a lot; `checks.drift.unmanaged.enabled: true`).

The guide's `aws config select-resource-config ... WHERE tags.tag = 'ManagedBy' AND tags.value !=
'terraform'` compares a tag key with a value, which Config SQL cannot do; what it means is done here:
- resources tagged as Terraform-managed (`managed_tag_key`=`managed_tag_value`) that no state of the
  account holds;
- resources of the types the drift table marks `unmanaged` that exist live and that no state holds.

Where AWS Config records the types, its advanced query lists both (collect/aws/drift_unmanaged.py), else the
tagging API and the describe listings do; the same resource has the same key either way (the drift table's
`config: key`), so the findings are the same, and each says its `source` (config | tagging).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from opsbook.checks.drift.compare import arn_parts, excluded, live_index, matches_any, render
from opsbook.collect.aws.drift_live import UnmanagedSettings
from opsbook.collect.aws.drift_models import TaggedResource, TerraformStates, UnmanagedListing
from opsbook.collect.aws.drift_table import builtin_table, unmanaged_types
from opsbook.collect.aws.drift_unmanaged import UNMANAGED_LISTING
from opsbook.collect.aws.tfstate import TF_STATES
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

TYPES = unmanaged_types()


def state_keys(states: TerraformStates) -> dict[str, set[str]]:
    """type -> the key of every managed instance of the account's states (any region)."""
    table = builtin_table()
    out: dict[str, set[str]] = defaultdict(set)
    for r in states.resources:
        if r.mode == "managed" and r.type in table:
            key = render(table[r.type].state_key, r.attributes)
            if key:
                out[r.type].add(key)
    return out


def tagged_resources(listing: UnmanagedListing, s: UnmanagedSettings) -> list[TaggedResource]:
    """The resources tagged as Terraform-managed: the tagging API's, or Config's items with the tag."""
    if listing.source != "config":
        return listing.tagged
    return [TaggedResource(arn=i.arn, tags=i.tags) for i in listing.items
            if i.arn and i.tags.get(s.managed_tag_key) == s.managed_tag_value]  # fmt: skip


def config_index(listing: UnmanagedListing, rtype: str) -> dict[str, dict[str, Any]] | None:
    """key -> Config properties of the type's live resources, when Config listed them (else None)."""
    mapping = builtin_table()[rtype].config
    if listing.source != "config" or mapping is None:
        return None
    out: dict[str, dict[str, Any]] = {}
    for item in listing.items:
        props = item.properties()
        if item.type == mapping.type and props[mapping.key] and not matches_any(mapping.exclude, props):
            out[props[mapping.key]] = props
    return out


@check(
    id="drift.unmanaged",
    title="Resources outside Terraform: tagged as managed but in no state, or in no state at all",
    section="Weekly Tasks / Friday: Infrastructure Drift Detection",
    cadence=("weekly:friday",),
    severity=Severity.LOW,
    needs=(TF_STATES, UNMANAGED_LISTING, *sorted({builtin_table()[t].live for t in TYPES})),
    remediation="import it into its component (`terraform import`) or delete it; a tagged one lost its state",
    settings=UnmanagedSettings,
    default_enabled=False,
)
def unmanaged(ctx: CheckContext) -> Iterable[Finding]:
    s: UnmanagedSettings = ctx.settings
    if not s.covers(ctx.target.account, ctx.target.region):
        return
    states: TerraformStates = ctx[TF_STATES]
    if not states.configured:
        yield ctx.skipped("no Atmos stacks configured (stacks.atmos_config): no backend says where state is")
        return
    table, held, types = builtin_table(), state_keys(states), s.types or list(TYPES)
    by_arn = {e.arn: t for t, e in table.items() if e.arn and t in types}
    listing: UnmanagedListing = ctx[UNMANAGED_LISTING]
    said = {"source": listing.source, **({"note": listing.note} if listing.note else {})}
    flagged: set[str] = set()
    tag = f"{s.managed_tag_key}={s.managed_tag_value}"
    for tagged in tagged_resources(listing, s):
        parts = arn_parts(tagged.arn)
        rtype = by_arn.get(f"{parts[0]}:{parts[1]}") if parts else None
        if rtype is None or parts is None:
            continue
        key = tagged.arn if table[rtype].arn_key == "arn" else parts[2]
        if key not in held[rtype]:
            flagged.add(key)
            yield ctx.failed(
                f"{rtype} {key} is tagged {tag} but no Terraform state holds it",
                Resource(id=key, type=rtype, arn=tagged.arn), None,
                kind="tagged_no_state", tag=tag, **said,
            )  # fmt: skip
    for rtype in types:
        entry, live = table[rtype], config_index(listing, rtype)
        if live is None:
            if ctx[entry.live] is None:  # not read: neither "all managed" nor unmanaged
                continue
            live = {k: i for k, i in live_index(entry, ctx[entry.live]).items() if not excluded(entry, i)}
        found = [k for k in live if k not in held[rtype] and k not in flagged]
        for key in found:
            yield ctx.failed(
                f"{rtype} {key} exists live but no Terraform state holds it",
                Resource(id=key, type=rtype), None, kind="unmanaged", **said,
            )  # fmt: skip
        if not found:
            yield ctx.passed(
                f"every {rtype} here is in Terraform state", Resource(id=rtype, type=rtype), **said
            )
