"""The sandbox's Atmos stacks tree (package data): tenant mycompany, stages dev/staging/prod, use1.

It describes the same estate the sandbox seeds into AWS: VPC, EKS `my-cluster` with node groups `system`
and `application`, RDS `my-database` (plus `my-database-reporting` in staging). Its Terraform components
are made of `terraform_data` resources only, so plan/apply work offline; state goes to the S3 bucket
`terraform-state-<account id>` (point AWS_ENDPOINT_URL_S3 at the sandbox's S3).
"""

from __future__ import annotations

from pathlib import Path

STAGES = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}


def sandbox_stacks_dir() -> Path:
    """The directory holding the sandbox's atmos.yaml (read-only package data; copy it to run terraform)."""
    return Path(__file__).resolve().parent
