"""The sandbox estate, modelled on the guide: tenant mycompany, accounts dev/staging/prod, us-east-1."""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
ROLE_NAME = "OpsbookReadOnly"
CLUSTER = "my-cluster"
DATABASE = "my-database"
API = "my-api"
BUCKET = "my-bucket"
SANDBOX_AMI = "ami-0a5c0ffee0ddba11e"  # the image the sandbox's instances run (moto's default AMIs are off)


@dataclass(frozen=True)
class SandboxAccount:
    name: str
    id: str

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:role/{ROLE_NAME}"


ACCOUNTS = (
    SandboxAccount("dev", "111111111111"),
    SandboxAccount("staging", "222222222222"),
    SandboxAccount("prod", "333333333333"),
)


def account(name: str) -> SandboxAccount:
    for a in ACCOUNTS:
        if a.name == name:
            return a
    raise KeyError(name)
