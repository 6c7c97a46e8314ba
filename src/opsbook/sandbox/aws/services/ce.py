"""Cost Explorer operations moto does not serve (GetAnomalies), answered from seeded data."""

from __future__ import annotations

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_response

SERVICE = "ce"  # the signing name in the request's Authorization header


def get_anomalies(call: Call, data: SandboxData) -> Response:
    body = call.json()
    interval = body.get("DateInterval", {})
    start = interval.get("StartDate", "0000-00-00")
    end = interval.get("EndDate") or "9999-12-31"
    found = [a for a in data.anomalies.get(call.account_id, []) if start <= a["AnomalyStartDate"][:10] <= end]
    return json_response({"Anomalies": found})


HANDLERS = {"GetAnomalies": get_anomalies}
