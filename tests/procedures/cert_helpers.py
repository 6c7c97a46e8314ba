"""Shared by the certificate rotation tests: prod's `api.example.com` consumers read through boto3, quick
ACM validation, and putting prod back as seeded afterwards (moto state is process-wide)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opsbook.sandbox.aws import tls
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.tls import DOMAIN, LOAD_BALANCER, certificate_arn
from opsbook.sandbox.estate import account

VALIDATION_S = 1.0  # how long a requested certificate stays PENDING_VALIDATION in these tests


@dataclass
class Prod:
    make: Any  # service -> boto3 client in prod
    listener: str  # web-alb's HTTPS listener ARN
    seeded: str  # the seeded api.example.com certificate ARN

    def listener_default(self) -> str:
        found = self.make("elbv2").describe_listeners(ListenerArns=[self.listener])["Listeners"][0]
        return str(found["Certificates"][0]["CertificateArn"])

    def listener_sni(self) -> list[str]:
        certs = self.make("elbv2").describe_listener_certificates(ListenerArn=self.listener)["Certificates"]
        return [c["CertificateArn"] for c in certs if not c["IsDefault"]]

    def api_domain(self) -> str:
        return str(self.make("apigateway").get_domain_name(domainName=DOMAIN)["regionalCertificateArn"])

    def certificates(self) -> set[str]:
        listed = self.make("acm").list_certificates()["CertificateSummaryList"]
        return {c["CertificateArn"] for c in listed}

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.make("acm").describe_certificate(CertificateArn=arn)["Certificate"])


def prod_tls(sandbox: Any) -> Iterator[Prod]:
    """(For a fixture) prod's certificate consumers with quick validation; afterwards both consumers are on
    the seeded certificate again and every certificate a test made is deleted."""
    was = tls.configure(VALIDATION_S)
    make = clients_for(sandbox.aws_url, account("prod"))
    elb = make("elbv2")
    lb = elb.describe_load_balancers(Names=[LOAD_BALANCER])["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elb.describe_listeners(LoadBalancerArn=lb)["Listeners"][0]["ListenerArn"]
    prod = Prod(make, listener, certificate_arn(make, DOMAIN))
    before = prod.certificates()
    try:
        yield prod
    finally:
        tls.configure(0)  # so that the clean-up below may put ISSUED certificates back
        elb.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": prod.seeded}])
        extra = prod.listener_sni()
        if extra:
            elb.remove_listener_certificates(
                ListenerArn=listener, Certificates=[{"CertificateArn": a} for a in extra]
            )
        make("apigateway").update_domain_name(
            domainName=DOMAIN,
            patchOperations=[{"op": "replace", "path": "/regionalCertificateArn", "value": prod.seeded}],
        )
        for arn in prod.certificates() - before:
            make("acm").delete_certificate(CertificateArn=arn)
        tls.configure(was)
