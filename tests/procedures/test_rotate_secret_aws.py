"""`rotate-secret` on the AWS side, through the library against the session's sandbox: a secret with a
rotation function (the sandbox runs its four steps), the RDS master password kept in a configured secret
(modify-db-instance) and the one RDS manages itself (MasterUserSecret), and the plan-time refusals.
Each effect is read back: version stages, values, the instance's password in moto's backend."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, InputError, NotFound
from opsbook.engine.procedures import make_plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import DATABASE, REGION, account
from tests.procedures.rds_helpers import apply, plan, restoring_dev_rds, settle

ROTATED = "test/rotated-by-function"
MASTER = "test/db-master"
MANAGED_DB = "rotation-managed-db"


def sm(sandbox: Any, name: str = "dev") -> Any:
    return clients_for(sandbox.aws_url, account(name))("secretsmanager")


def config(sandbox: Any, tmp_path: Path, **secrets_cfg: Any) -> Config:
    raw = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db") | {"secrets": secrets_cfg}
    return Config.model_validate(raw).model_copy(update={"source": "(test)"})


def current(client: Any, secret: str) -> tuple[str, str]:
    found = client.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")
    return found["VersionId"], found["SecretString"]


def db_password(ident: str) -> str:
    from moto.rds.models import rds_backends

    db = rds_backends[account("dev").id][REGION].databases[ident]
    return str(db._master_user_password)  # moto's property refuses to tell


@pytest.fixture()
def dev_rds(sandbox: Any) -> Iterator[Any]:
    yield from restoring_dev_rds(sandbox)


def test_a_rotation_function_runs_and_its_version_becomes_current(sandbox: Any, tmp_path: Path) -> None:
    from moto.secretsmanager.models import secretsmanager_backends

    client, old = sm(sandbox), "abcdefghij-klmnop-qrs"
    client.create_secret(Name=ROTATED, SecretString=old)
    lambda_arn = f"arn:aws:lambda:{REGION}:{account('dev').id}:function:rotate-secret"
    secret = secretsmanager_backends[account("dev").id][REGION].secrets[ROTATED]
    secret.rotation_lambda_arn, secret.rotation_requested, secret.rotation_enabled = lambda_arn, True, True
    try:
        cfg = config(sandbox, tmp_path)
        made = plan(cfg, "rotate-secret", secret=ROTATED)
        (item,) = made.items
        assert (item.kind, item.wait.condition if item.wait else None) == (
            "secret-rotate",
            "secret-version-current",
        )
        assert current(client, ROTATED)[0] == item.params["from_version"]  # planning changed nothing
        result = apply(cfg, made, tmp_path)
        assert [o.result for o in result.outcomes] == ["done"], result.outcomes
        version, value = current(client, ROTATED)
        assert version == item.params["version"] and value != old and len(value) == len(old)
        stages = client.describe_secret(SecretId=ROTATED)["VersionIdsToStages"]
        assert stages[item.params["from_version"]] == ["AWSPREVIOUS"]
        again = apply(cfg, made, tmp_path)
        assert [o.result for o in again.outcomes] == ["already-done"]
        back = apply(cfg, made, tmp_path, rollback=True)  # irreversible: said so, nothing changed
        assert "cannot roll back" in back.outcomes[0].reason and current(client, ROTATED)[0] == version
    finally:
        client.delete_secret(SecretId=ROTATED, ForceDeleteWithoutRecovery=True)


def test_rds_master_password_is_set_kept_in_its_secret_and_rolled_back(
    sandbox: Any, dev_rds: Any, tmp_path: Path
) -> None:
    client, old = sm(sandbox), secrets.token_urlsafe(18)
    client.create_secret(Name=MASTER, SecretString=json.dumps({"username": "admin", "password": old}))
    try:
        cfg = config(sandbox, tmp_path, databases=[{"db": DATABASE, "secret": MASTER, "field": "password"}])
        made = plan(cfg, "rotate-secret", db=DATABASE)
        (item,) = made.items
        assert (item.kind, item.resource.id) == ("rds-master-password", DATABASE)
        result = apply(cfg, made, tmp_path)
        assert [o.result for o in result.outcomes] == ["done"], result.outcomes
        version, value = current(client, MASTER)
        new = json.loads(value)
        assert version == item.params["version"] and new["username"] == "admin" and new["password"] != old
        assert db_password(DATABASE) == new["password"]
        back = apply(cfg, made, tmp_path, rollback=True)
        assert [o.result for o in back.outcomes] == ["undone"], back.outcomes
        assert current(client, MASTER)[0] == item.params["from_version"] and db_password(DATABASE) == old
    finally:
        client.delete_secret(SecretId=MASTER, ForceDeleteWithoutRecovery=True)


def test_an_rds_managed_password_is_rotated_through_its_secret(
    sandbox: Any, dev_rds: Any, tmp_path: Path
) -> None:
    made_db = dev_rds.create_db_instance(
        DBInstanceIdentifier=MANAGED_DB, DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin", ManageMasterUserPassword=True, AllocatedStorage=20,
    )["DBInstance"]  # fmt: skip
    arn = made_db["MasterUserSecret"]["SecretArn"]
    try:
        settle(dev_rds, MANAGED_DB)
        cfg = config(sandbox, tmp_path)
        made = plan(cfg, "rotate-secret", db=MANAGED_DB)
        (item,) = made.items
        assert (item.kind, item.resource.arn) == ("secret-rotate", arn)
        result = apply(cfg, made, tmp_path)
        assert [o.result for o in result.outcomes] == ["done"], result.outcomes
        version, value = current(sm(sandbox), arn)
        assert version == item.params["version"]
        assert db_password(MANAGED_DB) == json.loads(value)["password"]
    finally:
        dev_rds.delete_db_instance(DBInstanceIdentifier=MANAGED_DB, SkipFinalSnapshot=True)
        settle(dev_rds, MANAGED_DB, gone=True)


def test_what_cannot_work_is_refused_at_plan_time(sandbox: Any, tmp_path: Path) -> None:
    client = sm(sandbox)
    client.create_secret(Name=ROTATED, SecretString=json.dumps({"user": "u", "host": "h"}))
    try:
        cfg = config(sandbox, tmp_path)
        with pytest.raises(InputError, match=r"has no a password-like string field \(its keys: host, user\)"):
            plan(cfg, "rotate-secret", secret=ROTATED)
        with pytest.raises(NotFound, match="no secret 'nope'"):
            plan(cfg, "rotate-secret", secret="nope")
        with pytest.raises(InputError, match="name one of --secret or --db"):
            plan(cfg, "rotate-secret")
        with pytest.raises(InputError, match="no `secrets.databases` entry"):
            plan(cfg, "rotate-secret", db=DATABASE)
        bad = config(sandbox, tmp_path, mirrors=[{"secret": "my-app/db-password", "cluster": "my-cluster",
                                                  "namespace": "production", "name": "nope", "key": "password"}])  # fmt: skip
        with pytest.raises(ConfigError, match=r"secrets.mirrors.0: Secret production/nope does not exist"):
            plan(bad, "rotate-secret", ("prod",), secret="my-app/db-password")
        elsewhere = config(sandbox, tmp_path, mirrors=[{"secret": "my-app/db-password", "cluster": "nope",
                                                        "namespace": "a", "name": "b", "key": "c"}])  # fmt: skip
        with pytest.raises(ConfigError, match=r"secrets.mirrors.0: cluster 'nope' is not configured"):
            plan(elsewhere, "rotate-secret", ("prod",), secret="my-app/db-password")
        # an unknown --cluster is refused, not a plan without its mirrors
        with pytest.raises(ConfigError, match=r"--cluster nope: not in \(test\)"):
            make_plan(cfg, "rotate-secret", {"secret": "my-app/db-password"},
                      PlanRequest(accounts=("prod",), clusters=("nope",)))  # fmt: skip
        with pytest.raises(
            InputError,
            match=r"secret my-app/db-password exists in .*prod/us-east-1.*: name one with --account",
        ):
            plan(cfg, "rotate-secret", (), secret="my-app/db-password")
    finally:
        client.delete_secret(SecretId=ROTATED, ForceDeleteWithoutRecovery=True)
