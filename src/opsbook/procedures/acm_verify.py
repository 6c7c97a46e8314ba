"""The `certificate-verify` step of a certificate rotation (procedures/acm_rotation.py): reads back that the
replacement is ISSUED, expires after the old certificate, and that every consumer the plan moved is on it.
Changes nothing; a failed read-back fails the step with every problem found.

Item params: `old_arn`, `consumers`.
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.acm_consumers import Consumer, current
from opsbook.procedures.acm_rotation import describe, replacement
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem


def recheck_verify(item: PlanItem, clients: Clients) -> Live:
    return Live("eligible", "read back the replacement and its consumers")


def verify(item: PlanItem, clients: Clients) -> dict[str, Any]:
    old_arn = item.params["old_arn"]
    made, old = replacement(clients, old_arn), describe(clients, old_arn)
    if made is None:
        raise RuntimeError("no replacement certificate made by this plan")
    problems = []
    if made["Status"] != "ISSUED":
        problems.append(f"{made['CertificateArn']} is {made['Status']}")
    if (
        old is not None
        and old.get("NotAfter")
        and made.get("NotAfter")
        and made["NotAfter"] <= old["NotAfter"]
    ):
        problems.append(
            f"it expires {made['NotAfter']:%Y-%m-%d}, not after the old one ({old['NotAfter']:%Y-%m-%d})"
        )
    for raw in item.params["consumers"]:
        consumer = Consumer.of(raw)
        now = current(clients, consumer)
        if made["CertificateArn"] not in now:
            problems.append(f"{consumer.name} is on {', '.join(now) or 'no certificate'}")
    if problems:
        raise RuntimeError("; ".join(problems))
    return {"arn": made["CertificateArn"], "not_after": made["NotAfter"].isoformat(),
            "consumers": len(item.params["consumers"])}  # fmt: skip


item_kind(
    "certificate-verify",
    action="verify-certificate",
    permissions=(
        "acm:DescribeCertificate",
        "acm:ListCertificates",
        "acm:ListTagsForCertificate",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeListenerCertificates",
        "apigateway:GET",
    ),  # fmt: skip
    recheck=recheck_verify,
    act=verify,
    changes_nothing=True,
)
