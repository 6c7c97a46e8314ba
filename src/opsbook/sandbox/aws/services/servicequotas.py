"""Service Quotas for EC2 (moto serves only VPC's quotas): GetServiceQuota of the on-demand vCPU quotas.

Every account has the applied value in QUOTAS unless `data.extra["servicequotas"][account id]
["ec2/<quota code>"]` says otherwise (tests lower it to see a plan refused). Other services' quotas are
left to moto.
"""

from __future__ import annotations

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "servicequotas"
# quota code -> (name, applied value in vCPUs)
QUOTAS = {
    "L-1216C47A": ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 64.0),
    "L-DB2E81BA": ("Running On-Demand G and VT instances", 0.0),
}


def get_service_quota(call: Call, data: SandboxData) -> Response | None:
    body = call.json()
    service, code = body.get("ServiceCode"), body.get("QuotaCode")
    if service != "ec2":
        return None
    if code not in QUOTAS:
        return json_error("NoSuchResourceException", f"The quota {code} does not exist for ec2.")
    name, value = QUOTAS[code]
    with data.lock:
        value = data.extra.get(SERVICE, {}).get(call.account_id, {}).get(f"ec2/{code}", value)
    quota = {
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "QuotaArn": f"arn:aws:servicequotas:{call.region}:{call.account_id}:ec2/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": float(value),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }
    return json_response({"Quota": quota})


HANDLERS = {"GetServiceQuota": get_service_quota}
