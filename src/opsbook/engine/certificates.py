"""Reading what `rotate-certificate` plans from (read-only): the ACM certificates of a domain in the chosen
accounts and regions, the PEM files of an import, and the account's stack for the guide's workflow.

`--domain` matches a certificate whose domain name or a SAN is that name, or, for a wildcard
(`*.example.com`, as the guide writes it), is the wildcard itself or a name one label under it
(`api.example.com`). Of the certificates with the same names, the one that expires last is the current one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.collect.aws.acm import KEY_TYPES
from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.failures import as_target_error
from opsbook.engine.targets import aws_targets
from opsbook.procedures.acm_rotation import sha256_of
from opsbook.procedures.registry import PlanRequest

DOMAIN = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
CURRENT = ("ISSUED", "EXPIRED")  # a certificate in use can be these; pending or failed ones are not current


@dataclass(frozen=True)
class Place:
    account: Account
    region: str
    make: Callable[[str], Any]  # service -> boto3 client there
    certificates: list[dict[str, Any]] = field(default_factory=list)  # the current ones of the domain


def covers(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower(), name.lower()
    if pattern == name:
        return True
    if not pattern.startswith("*."):
        return False
    head, _, tail = name.partition(".")
    return tail == pattern[2:] and bool(head) and "*" not in head


def names_of(cert: dict[str, Any]) -> list[str]:
    return [cert.get("DomainName", ""), *(cert.get("SubjectAlternativeNames") or [])]


def current_certificates(acm: Any, domain: str) -> list[dict[str, Any]]:
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    for page in acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": KEY_TYPES}):
        for summary in page.get("CertificateSummaryList", []):
            cert = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
            if cert.get("Status") not in CURRENT or not any(covers(domain, n) for n in names_of(cert)):
                continue
            key = tuple(sorted(set(names_of(cert))))
            if key not in latest or cert["NotAfter"] > latest[key]["NotAfter"]:
                latest[key] = cert
    return sorted(latest.values(), key=lambda c: (c["DomainName"], c["CertificateArn"]))


def locate(cfg: Config, request: PlanRequest, domain: str, procedure: str) -> Place:
    """The one (account, region) of the chosen ones holding current certificates of `domain`."""
    from opsbook.providers.aws.session import SessionFactory

    sessions = SessionFactory(cfg)
    hits: list[Place] = []
    for t in aws_targets(cfg, list(request.accounts) or None, list(request.regions) or None):
        account, region = cfg.account(t.account or ""), t.region or ""
        make = lambda service, a=account, r=region, k=t.key: sessions.client(a, r, service, k)  # noqa: E731
        try:
            certs = current_certificates(make("acm"), domain)
        except Exception as exc:  # noqa: BLE001 - an account that cannot be read: its target error, exit 3
            raise as_target_error(exc, where=t.key, action="acm:ListCertificates") from None
        if certs:
            hits.append(Place(account, region, make, certs))
    if not hits:
        raise NotFound(
            f"opsbook plan {procedure}: no issued ACM certificate for {domain!r} in the chosen accounts"
        )
    if len(hits) > 1:
        at = ", ".join(f"{h.account.name}/{h.region}" for h in hits)
        raise InputError(
            f"opsbook plan {procedure}: {domain} has certificates in {at}: name one with --account/--region"
        )
    if hits[0].account.protected:
        raise InputError(
            f"opsbook plan {procedure}: account {hits[0].account.name} is protected (protected: true): "
            "opsbook changes nothing there"
        )
    return hits[0]


# -- an import: the PEM files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pem:
    names: list[str]  # CN and DNS SANs of the certificate
    not_after: datetime
    files: dict[str, dict[str, str] | None]  # role -> {path, sha256} (never the content)


def file_ref(flag: str, path: str) -> dict[str, str]:
    """The file as the plan names it: its path and SHA-256, hashed as apply re-hashes it (acm_rotation)."""
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot be read ({exc.strerror})") from None
    return {"path": str(Path(path).resolve()), "sha256": digest}


def read_pem(cert: str, key: str | None, chain: str | None, procedure: str) -> Pem:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    if key is None:
        raise InputError(f"opsbook plan {procedure}: --import needs --key (the certificate's private key)")
    try:
        parsed = x509.load_pem_x509_certificate(Path(cert).read_bytes())
    except OSError as exc:
        raise InputError(f"--import {cert}: cannot be read ({exc.strerror})") from None
    except ValueError:
        raise InputError(f"--import {cert}: not a PEM certificate") from None
    names = [str(a.value) for a in parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        names += parsed.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    files = {"certificate": file_ref("--import", cert), "key": file_ref("--key", key),
             "chain": file_ref("--chain", chain) if chain else None}  # fmt: skip
    return Pem(sorted(set(names)), parsed.not_valid_after_utc, files)


# -- the guide's workflow ----------------------------------------------------------------------------------


def account_stack(stacks: Any, cfg: Config, account: Account, region: str) -> tuple[str, dict[str, Any]]:
    """(stack name, its vars) of the one stack deploying to `account` in `region`."""
    from opsbook.providers.atmos.estate import stack_account

    found = []
    for stack, body in stacks.describe_stacks().items():
        sections = ((body or {}).get("components") or {}).get("terraform") or {}
        vars_ = next((s.get("vars") or {} for s in sections.values()), {})
        try:
            owner = (
                stack_account(stack, vars_, cfg.stacks.account_map)
                if cfg.stacks and cfg.stacks.account_map
                else str(vars_.get("account_id") or "")
            )
        except InputError:
            continue
        if owner in (account.name, account.id) and vars_.get("region") == region:
            found.append((stack, vars_))
    if len(found) != 1:
        what = ", ".join(s for s, _ in found) or "none"
        raise InputError(
            f"the stacks define workflow rotate-certificate, but {len(found)} stacks deploy to "
            f"{account.name}/{region} ({what}): it needs the one stack of the account"
        )
    return found[0]
