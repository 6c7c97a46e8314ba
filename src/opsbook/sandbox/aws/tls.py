"""Certificates and their consumers, made to behave as on AWS (applied once when the sandbox starts).

- ACM: a requested (DNS-validated) certificate is PENDING_VALIDATION, with its CNAME validation records,
  for `TIMING.seconds`, then ISSUED. moto issues after its own global MOTO_ACM_VALIDATION_WAIT (60 s,
  whole seconds, read at import); here the wait comes from OPSBOOK_SANDBOX_ACM_VALIDATION_SECONDS (default
  3; a bad value is a ConfigError; 86399 keeps a sandbox's requests pending for a day) and tests set it with
  `configure()`: `configure(STAY_PENDING)` keeps new requests pending (as when nobody creates the DNS
  records).
- ELBv2 ModifyListener with Certificates sets the listener's default certificate and keeps its other
  (SNI) certificates, as AWS does; moto replaced the whole list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.sandbox.aws.data import env_seconds
from opsbook.sandbox.aws.fixes import patch
from opsbook.sandbox.aws.rds_lifecycle import Timing

SECONDS_ENV = "OPSBOOK_SANDBOX_ACM_VALIDATION_SECONDS"
STAY_PENDING = float("inf")


TIMING = Timing(env_seconds(SECONDS_ENV, 3.0))


def configure(seconds: float) -> float:
    """Set how long a requested certificate stays pending; returns the previous value (to restore)."""
    was, TIMING.seconds = TIMING.seconds, seconds
    return was


def apply() -> None:
    from moto.acm.models import CertBundle
    from moto.elbv2.models import ELBv2Backend

    patch(CertBundle, "check", _validating)
    patch(ELBv2Backend, "modify_listener", _default_only)


def _validating(original: Any) -> Any:
    def check(self: Any) -> None:
        pending = self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION"
        original(self)  # expiry (and moto's own 60 s issue, which the wait below comes before)
        if pending and self.status != "EXPIRED":
            created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
            waited = (datetime.now(UTC) - created).total_seconds()
            self.status = "ISSUED" if waited >= TIMING.seconds else "PENDING_VALIDATION"

    return check


def _default_only(original: Any) -> Any:
    def modify_listener(
        self: Any, arn: str, port: Any = None, protocol: Any = None, ssl_policy: Any = None,
        certificates: list[dict[str, Any]] | None = None, actions: Any = None,
    ) -> Any:  # fmt: skip
        listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
        others = list(listener.certificates[1:])
        result = original(self, arn, port, protocol, ssl_policy, certificates, actions)
        if certificates:
            default = certificates[0]["CertificateArn"]
            result.certificates = [default, *(c for c in others if c != default)]
        return result

    return modify_listener
