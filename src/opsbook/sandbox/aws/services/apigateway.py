"""API Gateway (REST) UpdateDomainName, which moto lacks: the patch operations that move a custom domain
name to another certificate (`replace` of `/certificateArn` or `/regionalCertificateArn`), as certificate
rotation does. As on AWS, the certificate must exist in ACM in the domain's account and region and be
ISSUED (BadRequestException otherwise); an unknown domain name is NotFoundException; any other path is
refused (BadRequestException) rather than silently ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_response, rest_json_error

SERVICE = "apigateway"
PATHS = {"/certificateArn": "certificate_arn", "/regionalCertificateArn": "regional_certificate_arn"}


def certificate_problem(account_id: str, region: str, arn: str) -> str | None:
    from moto.acm.models import CertificateNotFound, acm_backends

    try:
        cert = acm_backends[account_id][region].get_certificate(arn)
    except CertificateNotFound:
        return f"Certificate {arn} not found"
    if cert.status != "ISSUED":
        return f"Certificate {arn} is in state {cert.status}; it must be ISSUED"
    return None


def update_domain_name(call: Call, data: SandboxData) -> Response:
    from moto.apigateway.models import apigateway_backends

    name = unquote(call.path.rstrip("/").rsplit("/", 1)[-1])
    domain: Any = apigateway_backends[call.account_id][call.region].domain_names.get(name)
    if domain is None:
        return rest_json_error("NotFoundException", "Invalid domain name identifier specified", 404)
    changes = {}
    for op in call.json().get("patchOperations") or []:
        attr = PATHS.get(op.get("path", ""))
        if op.get("op") != "replace" or attr is None:
            return rest_json_error(
                "BadRequestException", f"Invalid patch operation {op.get('op')} {op.get('path')}", 400
            )
        problem = certificate_problem(call.account_id, call.region, str(op.get("value") or ""))
        if problem:
            return rest_json_error("BadRequestException", problem, 400)
        changes[attr] = op["value"]
    for attr, value in changes.items():
        setattr(domain, attr, value)
    return json_response(domain.to_json())


HANDLERS = {"UpdateDomainName": update_domain_name}
