"""Planner of the guide's certificate rotation (Security Operations / Certificate Rotation). Read-only: it
finds the domain's current ACM certificate(s) (`aws acm list-certificates`, `describe-certificate`) and
what uses them (ELBv2 listeners, API Gateway custom domain names), and writes the steps.

- The stacks define a workflow `rotate-certificate` (the guide's `atmos workflow rotate-certificate
  tenant= account= environment= certificate_name=`): the plan is that workflow, one step, with the
  arguments read from the account's stack and certificate_name=--domain; the plan says so.
- Otherwise, per certificate: request a replacement with the same names, DNS-validated (or import the
  given PEM files, stored in the plan as paths and SHA-256 only), wait until ISSUED; move each consumer to
  it; verify (ISSUED, expires later than the old one, every consumer on it), gated on
  `acm.certificate_expiry`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.certificates import DOMAIN, Pem, Place, account_stack, covers, locate, read_pem
from opsbook.procedures.acm_consumers import Consumer, consumers_of
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

NAME = "rotate-certificate"
WORKFLOW = "rotate-certificate"
GATE = ["acm.certificate_expiry"]
CERT_TYPE = "AWS::CertificateManager::Certificate"


class RotateCertificateParams(ProcedureParams):
    model_config = ConfigDict(populate_by_name=True)  # `--import` is the field `import_pem`

    domain: str = Field(description="The certificate's domain, e.g. '*.example.com' or api.example.com.")
    import_pem: str | None = Field(None, alias="import", description="Import this PEM certificate instead.")
    key: str | None = Field(None, description="The private key PEM of --import (read at apply, never shown).")
    chain: str | None = Field(None, description="The certificate chain PEM of --import.")
    wait_timeout: int = Field(1800, ge=1, le=259200, description="Seconds to wait for ISSUED.")
    poll_interval: float = Field(15, ge=0.1, le=600, description="Seconds between reads while waiting.")


def days_left(cert: dict[str, Any], now: datetime) -> str:
    left = (cert["NotAfter"] - now).days
    return (
        f"expires {cert['NotAfter']:%Y-%m-%d} ({left} days)"
        if left >= 0
        else f"expired {cert['NotAfter']:%Y-%m-%d}"
    )


def shown(place: Place, users: dict[str, list[Consumer]], now: datetime) -> list[str]:
    lines = []
    for cert in place.certificates:
        names = ", ".join(sorted(set(cert.get("SubjectAlternativeNames") or [cert["DomainName"]])))
        lines.append(f"certificate {cert['CertificateArn']} {cert['DomainName']} [{names}] {cert['Status']}, "
                     f"{days_left(cert, now)}")  # fmt: skip
        lines += [f"  used by {c.name}" for c in users[cert["CertificateArn"]]] or [
            "  used by nothing opsbook can see"
        ]
    return lines


def where(place: Place) -> dict[str, Any]:
    return {"account": place.account.name, "account_id": place.account.id, "region": place.region}


def workflow_item(
    cfg: Config, params: RotateCertificateParams, place: Place, display: list[str]
) -> PlanItem | None:
    """The step running the stacks' rotate-certificate workflow, or None when they define none."""
    if cfg.stacks is None:
        return None
    from opsbook.providers.atmos.resolver import Stacks
    from opsbook.providers.atmos.workflows import Workflows

    stacks = Stacks.load(cfg.stacks.atmos_config)
    if stacks.config.workflows_base is None:
        return None
    found = [r for r in Workflows(stacks.config).list()[0] if r["name"] == WORKFLOW]
    if not found:
        return None
    if params.import_pem:
        raise InputError(
            f"opsbook plan {NAME}: the stacks' workflow {WORKFLOW} does the rotation: --import does not apply"
        )
    stack, vars_ = account_stack(stacks, cfg, place.account, place.region)
    args = {"tenant": str(vars_.get("tenant", "")), "account": str(vars_.get("stage", "")),
            "environment": str(vars_.get("environment", "")), "certificate_name": params.domain}  # fmt: skip
    command = f"atmos workflow {WORKFLOW} " + " ".join(f"{k}={v}" for k, v in args.items())
    return PlanItem(
        id="001",
        kind="atmos-workflow",
        action="atmos-workflow",
        **where(place),
        resource=Resource(
            id=f"workflow/{found[0]['file']}/{WORKFLOW}", type="Atmos::Workflow", name=WORKFLOW
        ),
        reason=f"the stacks define workflow {WORKFLOW} ({found[0]['file']}): opsbook runs it instead of its own "
        f"ACM steps: {command} (stack {stack})",
        evidence={"display": [*display, f"runs: {command}"], "stack": stack},
        params={
            "atmos_config": str(stacks.config.path.parent),
            "workflow": WORKFLOW,
            "file": found[0]["file"],
            "stack": stack,
            "args": args,
        },  # fmt: skip
        gate=GATE,
    )


def checked_import(pem: Pem, place: Place, now: datetime) -> None:
    if len(place.certificates) != 1:
        raise InputError(f"opsbook plan {NAME}: --import replaces one certificate, and {len(place.certificates)} "
                         "match --domain: name one (e.g. --domain api.example.com)")  # fmt: skip
    old = place.certificates[0]
    missing = [n for n in set(old.get("SubjectAlternativeNames") or [old["DomainName"]])
               if not any(covers(p, n) for p in pem.names)]  # fmt: skip
    if missing:
        raise InputError(
            f"--import: the certificate ({', '.join(pem.names)}) does not cover {', '.join(sorted(missing))}"
        )
    if pem.not_after <= max(old["NotAfter"], now):
        raise InputError(f"--import: the certificate expires {pem.not_after:%Y-%m-%d}, not after the current "
                         f"one ({old['NotAfter']:%Y-%m-%d}) or now")  # fmt: skip


def certificate_steps(
    params: RotateCertificateParams,
    place: Place,
    users: dict[str, list[Consumer]],
    pem: Pem | None,
    now: datetime,
) -> list[PlanItem]:
    items: list[PlanItem] = []
    for cert in place.certificates:
        old, domain = cert["CertificateArn"], cert["DomainName"]
        sans = sorted(set(cert.get("SubjectAlternativeNames") or []) - {domain})
        first = f"{len(items) + 1:03d}"
        how = (f"import {pem.files['certificate']['path']} ({', '.join(pem.names)}, expires {pem.not_after:%Y-%m-%d})"  # type: ignore[index]
               if pem else "request a replacement, DNS-validated" + (f", SANs {', '.join(sans)}" if sans else ""))  # fmt: skip
        items.append(PlanItem(
            id=first, kind="acm-certificate", action="import-certificate" if pem else "request-certificate",
            **where(place), resource=Resource(id=old, type=CERT_TYPE, arn=old, name=domain),
            reason=f"{domain} {days_left(cert, now)}: {how}",
            evidence={"old_not_after": cert["NotAfter"].isoformat(), "old_status": cert["Status"]},
            params={"old_arn": old, "domain": domain, "sans": sans, "import": pem.files if pem else None},
            wait=Wait(condition="acm-certificate-issued", params={"old_arn": old}, timeout_s=params.wait_timeout,
                      interval_s=params.poll_interval),
        ))  # fmt: skip
        for consumer in users[old]:
            items.append(PlanItem(
                id=f"{len(items) + 1:03d}", kind="certificate-consumer", action=consumer.action, **where(place),
                resource=Resource(id=consumer.resource, type=consumer.resource_type, name=consumer.name),
                reason=f"move {consumer.name} from {domain}'s {old} to its replacement",
                params={"old_arn": old, "consumer": consumer.as_params()}, depends_on=[first],
            ))  # fmt: skip
        items.append(PlanItem(
            id=f"{len(items) + 1:03d}", kind="certificate-verify", action="verify-certificate", **where(place),
            resource=Resource(id=old, type=CERT_TYPE, arn=old, name=domain),
            reason=f"read back: {domain}'s replacement ISSUED, expiring after {cert['NotAfter']:%Y-%m-%d}, "
            f"{len(users[old])} consumer(s) on it",
            params={"old_arn": old, "consumers": [c.as_params() for c in users[old]]},
            depends_on=[i.id for i in items if i.params.get("old_arn") == old], gate=GATE,
        ))  # fmt: skip
    return items


@procedure(
    NAME,
    title="Replace a domain's ACM certificate (request or import), wait for ISSUED, move its listeners and "
    "API domains to it, verify",
    section="Security Operations / Certificate Rotation",
    kinds=("acm-certificate", "certificate-consumer", "certificate-verify", "atmos-workflow"),
    params=RotateCertificateParams,
    permissions=("acm:ListCertificates", "acm:DescribeCertificate"),
    reads=tuple(GATE),
    examples=(
        "opsbook plan rotate-certificate --domain '*.example.com' --account prod -o rotate.json",
        "opsbook plan rotate-certificate --domain api.example.com --import cert.pem --key key.pem "
        "--chain chain.pem --account prod -o rotate.json",
    ),  # fmt: skip
    targets=("account", "region"),  # no cluster: --cluster would be accepted and ignored
)
def plan_rotate_certificate(cfg: Config, params: RotateCertificateParams, request: PlanRequest) -> Plan:
    domain = params.domain.lower().rstrip(".")
    if not DOMAIN.fullmatch(domain):
        raise InputError(
            f"opsbook plan {NAME}: --domain {params.domain!r}: expected a DNS name like *.example.com"
        )
    if (params.key or params.chain) and not params.import_pem:
        raise InputError(f"opsbook plan {NAME}: --key and --chain go with --import")
    pem = read_pem(params.import_pem, params.key, params.chain, NAME) if params.import_pem else None
    now = datetime.now(UTC)
    place = locate(cfg, request, domain, NAME)
    users = consumers_of(place.make, {c["CertificateArn"] for c in place.certificates})
    display = shown(place, users, now)
    step = workflow_item(cfg, params, place, display)
    if step is not None:
        items = [step]
    else:
        if pem is not None:
            checked_import(pem, place, now)
        items = certificate_steps(params, place, users, pem, now)
        items[0] = items[0].model_copy(update={"evidence": {**items[0].evidence, "display": display}})
    warnings = [f"{c['DomainName']}: no listener or API domain uses {c['CertificateArn']}"
                for c in place.certificates if not users[c["CertificateArn"]]]  # fmt: skip
    return new_plan(NAME, items, now=now, ttl=request.ttl, ordered=True, accounts=[place.account.name],
                    regions=[place.region], parameters=params.model_dump(mode="json", by_alias=True),
                    warnings=warnings)  # fmt: skip
