"""The sandbox's Atmos stacks tree (package data): tenant mycompany, stages dev/staging/prod, use1.

It describes the same estate the sandbox seeds into AWS: VPC, EKS `my-cluster` with node groups `system`
and `application`, RDS `my-database` (plus `my-database-reporting` in staging), and dev's DNS zone `dns`
(which drifts on purpose: sandbox/aws/seeds/state.py). Its Terraform components
are made of `terraform_data` resources only, so plan/apply work offline. Their state is in each account's
S3 bucket `terraform-state-<account id>`, which the sandbox seeds (sandbox/aws/seeds/state.py): one state
object per component and stack at the key Atmos's backend gives it (`eks/mycompany-dev-use1/terraform.tfstate`),
describing the estate as seeded, so `terraform plan` reads real state instead of creating everything (dev's
eks plans with no changes), locked in the account's DynamoDB table `terraform-state-lock`, which the backend
reaches through its `assume_role` (so Terraform needs >= 1.6). Terraform reaches the sandbox through
AWS_ENDPOINT_URL_S3/_DYNAMODB/_STS = the sandbox's URL, which opsbook sets itself for a sandbox config
(`opsbook --config sb.yaml terraform plan|apply`, stack-set).
Copy the tree before running Terraform in it (it writes `.terraform/` and plan files into the components).
"""

from __future__ import annotations

import shutil
from pathlib import Path

STAGES = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
WORKING_COPY = Path(".opsbook") / "sandbox-stacks"  # under the current directory, beside .opsbook/sandbox.db
# what Terraform and Python leave in a tree: never copied from the package, kept in the copy
_GENERATED = shutil.ignore_patterns(
    "__pycache__", "*.py", ".terraform", "*.planfile", "*.tfvars.json", "backend.tf.json"
)


def sandbox_stacks_dir() -> Path:
    """The directory holding the sandbox's atmos.yaml (read-only package data; copy it to run terraform)."""
    return Path(__file__).resolve().parent


def is_sandbox_tree(atmos_config: str | Path | None) -> bool:
    """Whether `atmos_config` (a directory or its atmos.yaml) is the packaged tree."""
    if atmos_config is None:
        return False
    path = Path(atmos_config).resolve()
    return sandbox_stacks_dir() in (path, path.parent if path.is_file() else path)


def working_copy(dest: Path = WORKING_COPY) -> Path:
    """The sandbox's tree copied to `dest` for Terraform to write in (.terraform/, varfiles, backend, saved
    plans): refreshed from the package each time, while what Terraform wrote stays (a saved plan for apply)."""
    shutil.copytree(sandbox_stacks_dir(), dest, ignore=_GENERATED, dirs_exist_ok=True)
    return dest
