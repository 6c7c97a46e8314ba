"""A store filled by two real runs against the session sandbox, and the web app over it.

The second run sees a security group the first did not, named like an attack (`<script>...`): it fails
ec2.unused_security_groups, is new since the first run, and must render inert. The group is deleted after
the run, so the session sandbox is left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("fastapi", reason="the web app needs the 'web' extra")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (the 'dev' extra)")

from fastapi.testclient import TestClient  # noqa: E402

from opsbook.core.config import Config, load_config  # noqa: E402
from opsbook.store.db import Store, open_store  # noqa: E402
from opsbook.web.app import create_app  # noqa: E402
from opsbook.web.settings import WebSettings  # noqa: E402

CHECKS = ["ec2.unused_security_groups", "rds.instance_not_available", "cloudwatch.alarms_in_alarm"]
EVIL = "<script>alert('sg')</script>"
TOKEN = "web-test-token-0123456789"
KEY = "opsbooksandbox"


@dataclass
class WebData:
    config: Config
    config_path: Path
    store: Store
    first: str  # run ids, oldest first
    second: str
    evil_sg: str  # the id of the group named EVIL (deleted again)


def write_config(sandbox: Any, directory: Path, **extra: Any) -> Path:
    """An opsbook.yaml for the session sandbox with its own SQLite store in `directory`."""
    doc = sandbox.config(f"sqlite:///{directory}/opsbook.db") | extra
    path = directory / "opsbook.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def web_data(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebData]:
    import boto3

    from opsbook.engine import service
    from opsbook.sandbox.estate import ACCOUNTS, REGION

    path = write_config(sandbox, tmp_path_factory.mktemp("web"))
    cfg = load_config(path)
    first = service.run(cfg, service.RunRequest(check_ids=CHECKS, label="daily"))
    sts = boto3.client("sts", region_name=REGION, endpoint_url=sandbox.aws_url,
                       aws_access_key_id=KEY, aws_secret_access_key=KEY)  # fmt: skip
    creds = sts.assume_role(RoleArn=ACCOUNTS[0].role_arn, RoleSessionName="web-test")["Credentials"]
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=sandbox.aws_url,
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])  # fmt: skip
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName=EVIL, Description="web escaping test", VpcId=vpc)["GroupId"]
    try:
        second = service.run(
            cfg, service.RunRequest(check_ids=[*CHECKS, "drift.state_vs_live"], label="daily")
        )
    finally:
        ec2.delete_security_group(GroupId=sg)
    store = open_store(cfg.storage.url)
    yield WebData(cfg, path, store, first.run_id, second.run_id, sg)
    store.close()


@pytest.fixture()
def client(web_data: WebData) -> Iterator[TestClient]:
    """The app over the filled store on loopback (pages open), with a token for actions."""
    app = create_app(web_data.config, web_data.store, token=TOKEN, settings=WebSettings())
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def sign_in(client: TestClient, name: str = "alice") -> str:
    """Sign in through the login form; returns the CSRF value for further posts."""
    client.get("/login")
    csrf = client.cookies["opsbook_csrf"]
    r = client.post("/login", data={"name": name, "token": TOKEN, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf
