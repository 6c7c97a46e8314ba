"""What uses an ACM certificate, and moving it to another one (guide: Security Operations / Certificate
Rotation). Read by the `rotate-certificate` planner (to show and plan the moves) and by its item kinds (to
re-check and move, and before deleting a certificate on undo).

A consumer is one place a certificate ARN is set:
- `listener-default`: an ELBv2 HTTPS/TLS listener's default certificate (`aws elbv2 modify-listener
  --certificates`);
- `listener-sni`: one of a listener's other (SNI) certificates (`add-listener-certificates`, then
  `remove-listener-certificates`, so the listener never lacks the name);
- `api-domain`: an API Gateway (REST) custom domain name's `certificateArn` (edge) or
  `regionalCertificateArn` (regional) (`aws apigateway update-domain-name --patch-operations`).
ACM's own `InUseBy` is not used: it lags behind changes, and opsbook must know the exact field to move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

Make = Callable[[str], Any]  # service -> boto3 client in one account and region
API_FIELDS = {"certificateArn": "edge", "regionalCertificateArn": "regional"}
TLS_PROTOCOLS = ("HTTPS", "TLS")


@dataclass(frozen=True)
class Consumer:
    kind: str  # listener-default | listener-sni | api-domain
    resource: str  # the listener ARN, or the custom domain name
    name: str  # for people: "web-alb HTTPS:443", "api.example.com (regional)"
    field: str = ""  # api-domain: certificateArn | regionalCertificateArn

    def as_params(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def of(cls, params: dict[str, Any]) -> Consumer:
        return cls(**{k: str(params.get(k) or "") for k in ("kind", "resource", "name", "field")})

    @property
    def action(self) -> str:
        return {"listener-default": "modify-listener", "listener-sni": "replace-listener-certificate"}.get(
            self.kind, "update-domain-name"
        )

    @property
    def resource_type(self) -> str:
        return (
            "AWS::ApiGateway::DomainName"
            if self.kind == "api-domain"
            else "AWS::ElasticLoadBalancingV2::Listener"
        )


def _listeners(elb: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for page in elb.get_paginator("describe_load_balancers").paginate():
        for lb in page["LoadBalancers"]:
            listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
            out += [(lb["LoadBalancerName"], ls) for ls in listeners if ls.get("Protocol") in TLS_PROTOCOLS]
    return out


def _sni(elb: Any, listener_arn: str) -> list[str]:
    certs = elb.describe_listener_certificates(ListenerArn=listener_arn)["Certificates"]
    return [c["CertificateArn"] for c in certs if not c.get("IsDefault")]


def _domains(apigw: Any) -> list[dict[str, Any]]:
    return [d for page in apigw.get_paginator("get_domain_names").paginate() for d in page.get("items", [])]


def consumers_of(make: Make, arns: set[str]) -> dict[str, list[Consumer]]:
    """certificate ARN -> the consumers using it, for every ARN in `arns` (one listing per service)."""
    found: dict[str, list[Consumer]] = {arn: [] for arn in arns}
    elb = make("elbv2")
    for lb_name, ls in _listeners(elb):
        label = f"{lb_name} {ls['Protocol']}:{ls['Port']}"
        default = (ls.get("Certificates") or [{}])[0].get("CertificateArn")
        if default in found:
            found[default].append(Consumer("listener-default", ls["ListenerArn"], label))
        for arn in _sni(elb, ls["ListenerArn"]):
            if arn in found and arn != default:
                found[arn].append(Consumer("listener-sni", ls["ListenerArn"], f"{label} (SNI)"))
    for domain in _domains(make("apigateway")):
        for field, endpoint in API_FIELDS.items():
            if domain.get(field) in found:
                name = f"{domain['domainName']} ({endpoint})"
                found[domain[field]].append(Consumer("api-domain", domain["domainName"], name, field))
    return found


def in_use(make: Make, arn: str) -> list[Consumer]:
    return consumers_of(make, {arn})[arn]


def current(make: Make, consumer: Consumer) -> list[str]:
    """The certificate ARN(s) the consumer's slot holds now: the default, the SNI list, or the field."""
    if consumer.kind == "api-domain":
        value = make("apigateway").get_domain_name(domainName=consumer.resource).get(consumer.field)
        return [value] if value else []
    elb = make("elbv2")
    if consumer.kind == "listener-sni":
        return _sni(elb, consumer.resource)
    listener = elb.describe_listeners(ListenerArns=[consumer.resource])["Listeners"][0]
    return [c["CertificateArn"] for c in (listener.get("Certificates") or [])[:1]]


def move(make: Make, consumer: Consumer, old: str, new: str) -> None:
    """Put `new` where `old` is in the consumer's slot."""
    if consumer.kind == "api-domain":
        make("apigateway").update_domain_name(
            domainName=consumer.resource,
            patchOperations=[{"op": "replace", "path": f"/{consumer.field}", "value": new}],
        )
        return
    elb = make("elbv2")
    if consumer.kind == "listener-default":
        elb.modify_listener(ListenerArn=consumer.resource, Certificates=[{"CertificateArn": new}])
        return
    if new not in _sni(elb, consumer.resource):
        elb.add_listener_certificates(ListenerArn=consumer.resource, Certificates=[{"CertificateArn": new}])
    elb.remove_listener_certificates(ListenerArn=consumer.resource, Certificates=[{"CertificateArn": old}])
