"""ACM certificates with their expiry and renewal status (ListCertificates, one describe each)."""

from __future__ import annotations

from opsbook.collect.aws.security_models import Certificate
from opsbook.core.collectors import CollectContext, collector

KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@collector("acm.certificates", permissions=("acm:ListCertificates", "acm:DescribeCertificate"))
def certificates(ctx: CollectContext) -> list[Certificate]:
    acm = ctx.client("acm")
    out: list[Certificate] = []
    # without `Includes`, ListCertificates returns RSA_2048 certificates only
    for page in acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": KEY_TYPES}):
        for summary in page.get("CertificateSummaryList", []):
            c = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
            renewal = c.get("RenewalSummary") or {}
            out.append(
                Certificate(
                    arn=c["CertificateArn"],
                    domain=c.get("DomainName", ""),
                    status=c.get("Status", ""),
                    type=c.get("Type"),
                    not_after=c.get("NotAfter"),
                    renewal_status=renewal.get("RenewalStatus"),
                    renewal_reason=renewal.get("RenewalStatusReason"),
                    in_use_by=list(c.get("InUseBy", [])),
                )
            )
    return out
