"""What uses prod's `api.example.com` certificate (security.py imports it; cleanup.py makes `web-alb`):
an HTTPS listener on `web-alb` (port 443, the certificate as its default, a fixed 404 answer) and the
regional API Gateway custom domain name `api.example.com`.
They are what `opsbook plan rotate-certificate` finds and moves; no check reads listeners or domain
names, so every check's findings stay as seeded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import SandboxAccount

DOMAIN = "api.example.com"
LOAD_BALANCER = "web-alb"


def certificate_arn(client: Any, domain: str) -> str:
    acm = client("acm")
    found = [
        c["CertificateArn"]
        for c in acm.list_certificates()["CertificateSummaryList"]
        if c["DomainName"] == domain
    ]
    return str(found[0])


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    if acct.name != "prod":
        return
    cert = certificate_arn(client, DOMAIN)
    elb = client("elbv2")
    lb = elb.describe_load_balancers(Names=[LOAD_BALANCER])["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )
    api = client("apigateway")
    api.create_domain_name(
        domainName=DOMAIN, regionalCertificateArn=cert, endpointConfiguration={"types": ["REGIONAL"]}
    )
