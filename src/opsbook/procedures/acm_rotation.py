"""Certificate rotation item kinds (guide: Security Operations / Certificate Rotation):

- `acm-certificate`: the replacement of one certificate: `aws acm request-certificate` (DNS validation, the
  old one's domain name and SANs) or `aws acm import-certificate` of the PEM files named in the plan (read
  at apply time and refused when their SHA-256 differs from the plan's; the key is never shown or
  stored). Tagged `opsbook:plan` (the plan's hash) and `opsbook:replaces` (the old ARN), which is how
  the later steps, a re-check and a resumed apply find it. Waits `acm-certificate-issued`: the progress,
  and the step's outcome when it times out, carry the DNS validation records (CNAME name -> value) to
  create. Undo deletes it, only when nothing uses it any more.
- `certificate-consumer`: one listener or custom domain name moved from the old ARN to the new one
  (procedures/acm_consumers.py); re-check: on the old -> eligible, on the new -> done, else changed.
  Undo moves it back.
- `certificate-verify` (procedures/acm_verify.py): reads back the result.

Item params: `old_arn`, and `domain`, `sans`, `import` (certificate) / `consumer` (consumer) /
`consumers` (verify).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from opsbook.collect.aws.acm import KEY_TYPES
from opsbook.procedures.acm_consumers import Consumer, current, in_use, move
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

PLAN_TAG, REPLACES_TAG = "opsbook:plan", "opsbook:replaces"
FLAGS = {"certificate": "--import", "key": "--key", "chain": "--chain"}  # params["import"] role -> option
FAILED = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")


def sha256_of(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def describe(clients: Clients, arn: str) -> dict[str, Any] | None:
    acm = clients("acm")
    try:
        found: dict[str, Any] = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except acm.exceptions.ResourceNotFoundException:
        return None
    return found


def replacement(clients: Clients, old_arn: str) -> dict[str, Any] | None:
    """The certificate this plan made to replace `old_arn` (found by its tags), described."""
    acm = clients("acm")
    for page in acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": KEY_TYPES}):
        for summary in page.get("CertificateSummaryList", []):
            arn = summary["CertificateArn"]
            if arn == old_arn:
                continue
            tags = {
                t["Key"]: t.get("Value", "")
                for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]
            }
            if tags.get(PLAN_TAG) == clients.plan_hash and tags.get(REPLACES_TAG) == old_arn:
                return describe(clients, arn)
    return None


def validation_records(cert: dict[str, Any]) -> list[str]:
    """'CNAME <name> -> <value>' for each domain whose DNS validation is still pending."""
    out = []
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if record and option.get("ValidationStatus") != "SUCCESS":
            out.append(f"{record['Type']} {record['Name']} -> {record['Value']}")
    return sorted(set(out))


def status_line(cert: dict[str, Any]) -> str:
    records = validation_records(cert) if cert["Status"] == "PENDING_VALIDATION" else []
    return cert["Status"] + (": create the DNS validation record(s) " + "; ".join(records) if records else "")


# -- the replacement certificate ---------------------------------------------------------------------------


def changed_files(item: PlanItem) -> str | None:
    for role, ref in (item.params.get("import") or {}).items():
        if ref is None:
            continue
        try:
            digest = sha256_of(ref["path"])
        except OSError as exc:
            return f"{FLAGS[role]} {ref['path']}: cannot be read ({exc.strerror})"
        if digest != ref["sha256"]:
            return f"{FLAGS[role]} {ref['path']} changed since the plan (SHA-256 differs): make a new plan"
    return None


def recheck_certificate(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    made = replacement(clients, p["old_arn"])
    if made is not None:
        return Live("done", f"{made['CertificateArn']} replaces it ({made['Status']})")
    if describe(clients, p["old_arn"]) is None:
        return Live("changed", f"{p['old_arn']} no longer exists")
    problem = changed_files(item)
    if problem:
        return Live("changed", problem)
    return Live("eligible", f"no replacement for {p['domain']} yet: request one")


def token(clients: Clients, old_arn: str) -> str:
    """ACM's idempotency token (\\w{1,32}): the same for the same plan and certificate, so a request
    repeated after a crash returns the certificate already requested."""
    return hashlib.sha256(f"{clients.plan_hash} {old_arn}".encode()).hexdigest()[:32]


def create_certificate(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    acm = clients("acm")
    tags = [{"Key": PLAN_TAG, "Value": clients.plan_hash}, {"Key": REPLACES_TAG, "Value": p["old_arn"]},
            {"Key": "ManagedBy", "Value": "opsbook"}]  # fmt: skip
    files = p.get("import")
    if files:
        problem = changed_files(item)
        if problem:
            raise RuntimeError(problem)
        pem = {role: Path(ref["path"]).read_bytes() for role, ref in files.items() if ref is not None}
        chain = {"CertificateChain": pem["chain"]} if "chain" in pem else {}
        arn = acm.import_certificate(
            Certificate=pem["certificate"], PrivateKey=pem["key"], Tags=tags, **chain
        )["CertificateArn"]
        return {"arn": arn, "imported": True}
    sans = {"SubjectAlternativeNames": p["sans"]} if p.get("sans") else {}
    arn = acm.request_certificate(
        DomainName=p["domain"], ValidationMethod="DNS", IdempotencyToken=token(clients, p["old_arn"]),
        Tags=tags, **sans,
    )["CertificateArn"]  # fmt: skip
    made = describe(clients, arn) or {}
    return {"arn": arn, "status": made.get("Status"), "validation_records": validation_records(made)}


def delete_certificate(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    made = replacement(clients, item.params["old_arn"])
    if made is None:
        return {"deleted": False, "reason": "the replacement is already gone"}
    users = in_use(clients, made["CertificateArn"])
    if users:
        names = ", ".join(u.name for u in users)
        raise RuntimeError(f"{made['CertificateArn']} is still used by {names}: left in place")
    clients("acm").delete_certificate(CertificateArn=made["CertificateArn"])
    return {"deleted": True, "arn": made["CertificateArn"]}


item_kind(
    "acm-certificate",
    action="request-certificate",
    permissions=(
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "acm:ListTagsForCertificate",
        "acm:RequestCertificate",
        "acm:ImportCertificate",
        "acm:AddTagsToCertificate",
        "acm:DeleteCertificate",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerCertificates",
        "apigateway:GET",
    ),  # fmt: skip
    recheck=recheck_certificate,
    act=create_certificate,
    undo=delete_certificate,
)


def certificate_issued(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    made = replacement(clients, params["old_arn"])
    if made is None:
        return False, "the replacement certificate is not listed yet"
    if made["Status"] in FAILED:
        raise WaitFailed(
            f"{made['CertificateArn']} is {made['Status']}: {made.get('FailureReason', '')}".rstrip(": ")
        )
    return made["Status"] == "ISSUED", status_line(made)


wait_condition(
    "acm-certificate-issued",
    certificate_issued,
    description="`aws acm describe-certificate`: the replacement is ISSUED (shows pending DNS validation records)",
)


# -- consumers ----------------------------------------------------------------------------------------------


def issued_replacement(clients: Clients, old_arn: str) -> tuple[str | None, str]:
    made = replacement(clients, old_arn)
    if made is None:
        return None, "no replacement certificate made by this plan yet"
    if made["Status"] != "ISSUED":
        return None, f"the replacement {made['CertificateArn']} is {made['Status']}, not ISSUED"
    return str(made["CertificateArn"]), ""


def recheck_consumer(item: PlanItem, clients: Clients) -> Live:
    """On the old ARN -> eligible (the act itself requires the replacement ISSUED: in an ordered plan the
    request step comes first, and a dry run judges this step as if it had run); on the replacement -> done."""
    consumer, old = Consumer.of(item.params["consumer"]), item.params["old_arn"]
    made = replacement(clients, old)
    now = current(clients, consumer)
    if made is not None and made["CertificateArn"] in now and old not in now:
        return Live("done", f"{consumer.name} is on {made['CertificateArn']}")
    if old in now:
        return Live("eligible", f"{consumer.name} is on {old}: move it to the replacement")
    return Live("changed", f"{consumer.name} is on {', '.join(now) or 'no certificate'}, not {old}")


def move_consumer(item: PlanItem, clients: Clients) -> dict[str, Any]:
    consumer, old = Consumer.of(item.params["consumer"]), item.params["old_arn"]
    new, why = issued_replacement(clients, old)
    if new is None:
        raise RuntimeError(why)
    move(clients, consumer, old, new)
    return {"from": old, "to": new}


def move_back(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    consumer = Consumer.of(item.params["consumer"])
    old, new = item.params["old_arn"], detail.get("to")
    now = current(clients, consumer)
    if old in now and new not in now:
        return {"moved": False, "reason": f"{consumer.name} is on {old} already"}
    if not new or new not in now:
        raise RuntimeError(f"{consumer.name} is on {', '.join(now) or 'no certificate'}: left alone")
    move(clients, consumer, new, old)
    return {"moved": True, "from": new, "to": old}


item_kind(
    "certificate-consumer",
    action="move-certificate",
    permissions=(
        "acm:ListCertificates",
        "acm:DescribeCertificate",
        "acm:ListTagsForCertificate",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates",
        "apigateway:GET",
        "apigateway:PATCH",
    ),  # fmt: skip
    recheck=recheck_consumer,
    act=move_consumer,
    undo=move_back,
)
