"""Start, seed and stop the whole sandbox, and write the opsbook.yaml that points at it.

AWS: moto's server (+ opsbook's additions). Kubernetes: the fake API server over HTTPS, seeded with the
guide's `my-cluster`; prod's EKS `my-cluster` (moto) reports its endpoint and CA, and the server accepts
the `k8s-aws-v1.` bearer tokens opsbook makes itself, so the EKS path is exercised end to end.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

import yaml

from opsbook.sandbox.aws.data import SandboxData, env_seconds
from opsbook.sandbox.aws.model import LATENCY_ENV, THROTTLE_ENV, cache_setting, mode_setting
from opsbook.sandbox.aws.server import AwsServer
from opsbook.sandbox.aws.traffic import Traffic
from opsbook.sandbox.estate import ACCOUNTS, CLUSTER, REGION, account

_ENV = {"AWS_ACCESS_KEY_ID": "opsbooksandbox", "AWS_SECRET_ACCESS_KEY": "opsbooksandbox"}
# moto builds ~1,200 default AMIs (with a snapshot each) for every account and region it touches, and
# answers DescribeImages(Owners=amazon) by serialising all of them: seconds per account for nothing the
# estate needs. The sandbox's instances run SANDBOX_AMI instead.
_MOTO_ENV = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
EKS_ACCOUNT = "prod"  # the account whose EKS `my-cluster` is served by the fake Kubernetes API
LOG_SELECTORS = ["app=myapp", "app=my-app"]
SECRET = "my-app/db-password"  # prod's is mirrored into the cluster's Secret production/myapp-db  # application log review: myapp logs errors, my-app is clean


class Sandbox:
    """The embedded estate. Only one per process: moto keeps its state in process-wide backends."""

    def __init__(
        self,
        *,
        nodegroup_update_seconds: float | None = None,
        node_ready_seconds: float | None = None,
        latency: str | None = None,
        throttle: str | None = None,
        cache: bool | None = None,
    ) -> None:
        """`latency`/`throttle`: "aws" or "none" (None: OPSBOOK_SANDBOX_LATENCY / _THROTTLE, else none);
        `cache`: the read-response cache (None: OPSBOOK_SANDBOX_CACHE, else on with latency "aws")."""
        # its delays: DEFAULT_DELAYS or OPSBOOK_SANDBOX_<NAME>_SECONDS (aws/data.py)
        self.data = SandboxData()
        self.traffic = traffic_from(latency, throttle, cache)
        if nodegroup_update_seconds is not None:
            self.data.delays["eks.nodegroup_update"] = nodegroup_update_seconds
        self.node_ready_seconds = (
            node_ready_seconds if node_ready_seconds is not None else node_ready_default()
        )
        self.bridge: Any = None  # EksBridge: prod's EKS my-cluster -> the fake cluster (nodegroups.py)
        self.aws = AwsServer(self.data, self.traffic)
        self.aws_url: str | None = None
        self.bulk: Any = None  # BulkEstate seeded on top (opsbook sandbox up --accounts/--regions/--scale)
        self.kube: Any = None  # FakeKubeServer
        self.kube_url: str | None = None
        self.kube_token = "sandbox-" + secrets.token_urlsafe(16)  # static token (kubeconfig, kubectl)

    def start(self, port: int = 0, *, seed: bool = True, bulk: Any = None) -> Sandbox:
        for key, value in _ENV.items():
            os.environ.setdefault(key, value)
        os.environ.update(_MOTO_ENV)
        self.aws_url = self.aws.start(port)
        reset_moto(self.aws_url)
        modelled = self.traffic.configure(latency="none", throttle="none")  # seeding is not timed
        try:
            self._seed_aws(self.aws_url, seed, bulk)
        finally:
            self.traffic.configure(**modelled)
            self.traffic.reset()
        self._start_kube(seed)
        return self

    def _seed_aws(self, url: str, seed: bool, bulk: Any) -> None:
        if seed:
            from opsbook.sandbox.aws.seed import seed as seed_aws

            seed_aws(url, self.data)
            if bulk is not None:
                from opsbook.sandbox.aws.bulk import seed_bulk

                seed_bulk(url, self.data, bulk)
                self.bulk = bulk
            self.aws.invalidate()  # the seed also changes moto's backends directly

    def _start_kube(self, seed: bool) -> None:
        from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster
        from opsbook.sandbox.nodegroups import EksBridge

        self.kube = FakeKubeServer(
            token=self.kube_token,
            token_validator=eks_token_valid,
            tls=True,
            node_ready_seconds=self.node_ready_seconds,
        )
        if seed:
            seed_cluster(self.kube.store)
        self.kube_url = self.kube.start()
        if seed:
            point_eks_at(self.kube_url, self.kube.ca_pem or b"")
            # prod's EKS changes (node group sizes and versions, the control plane's version) move the fake cluster
            self.bridge = EksBridge(self.kube.store, account(EKS_ACCOUNT).id, REGION, CLUSTER)
            self.data.listeners.append(self.bridge)

    def set_delays(self, *, nodegroup_update: float, node_ready: float) -> tuple[float, float]:
        """Set how long a node group update takes and how long a new node takes to turn Ready; returns the
        previous values (tests shorten them and put them back)."""
        before = (self.data.delays["eks.nodegroup_update"], self.node_ready_seconds)
        self.data.delays["eks.nodegroup_update"] = nodegroup_update
        self.node_ready_seconds = node_ready
        if self.kube is not None and self.kube.controllers is not None:
            self.kube.controllers.nodeboot.ready_seconds = node_ready
        return before

    def stop(self) -> None:
        self.data.listeners.clear()
        if self.bridge is not None:
            self.bridge.stop()  # a node group's rolling update in flight ends where it is
            self.bridge = None
        if self.kube is not None:
            self.kube.stop()
            self.kube = None
        self.aws.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, storage_url: str | None = None) -> dict[str, Any]:
        """The opsbook.yaml content for this sandbox."""
        cfg: dict[str, Any] = {
            "aws": {
                "endpoint_url": self.aws_url,
                "sandbox_credentials": True,
                "default_regions": [REGION],
                "max_attempts": 3,
            },
            "accounts": [{"name": a.name, "id": a.id, "role_arn": a.role_arn} for a in ACCOUNTS],
        }
        if self.kube_url:
            cfg["clusters"] = [
                {
                    "name": CLUSTER,
                    "eks": {"account": EKS_ACCOUNT, "region": REGION, "name": CLUSTER},
                    "log_selectors": list(LOG_SELECTORS),
                }
            ]
            # `opsbook plan rotate-secret --secret my-app/db-password --account prod` updates this Secret
            cfg["secrets"] = {"mirrors": [{"secret": SECRET, "cluster": CLUSTER, "namespace": "production",
                                           "name": "myapp-db", "key": "password"}]}  # fmt: skip
        from opsbook.sandbox.stacks import sandbox_stacks_dir

        # the guide's estate as Atmos stacks: validated daily (atmos.stacks_valid); the account map says
        # which account each stage is (clusters come from `clusters:` above, so not again from the stacks)
        cfg["stacks"] = {
            "atmos_config": str(sandbox_stacks_dir()),
            "account_map": {a.name: a.name for a in ACCOUNTS},
            "clusters": False,
        }
        # drift.unmanaged is opt-in (it lists a lot); the sandbox shows every check
        cfg["checks"] = {"drift.unmanaged": {"enabled": True}}
        if self.bulk is not None:
            cfg["accounts"] = self.bulk.accounts_config()
            del cfg["stacks"]
        if storage_url:
            cfg["storage"] = {"url": storage_url}
        return cfg

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for kubectl against the sandbox's cluster (context `my-cluster`, mode 0600)."""
        if self.kube is None or not self.kube_url:
            raise RuntimeError("the sandbox's Kubernetes API is not running")
        from opsbook.sandbox.k8s import write_kubeconfig

        return write_kubeconfig(path, self.kube_url, self.kube_token, CLUSTER, ca_pem=self.kube.ca_pem)

    def write_config(self, path: Path, storage_url: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "# opsbook.yaml for the built-in sandbox (valid while `opsbook sandbox up` runs)\n"
        path.write_text(header + yaml.safe_dump(self.config(storage_url), sort_keys=False), encoding="utf-8")
        return path


def traffic_from(latency: str | None, throttle: str | None, cache: bool | None) -> Traffic:
    """The AWS model a sandbox applies: arguments first, then the environment (a bad value: ConfigError)."""
    latency = mode_setting(LATENCY_ENV, latency)
    return Traffic(latency, mode_setting(THROTTLE_ENV, throttle), cache=cache_setting(cache, latency))


NODE_READY_VARIABLE = "OPSBOOK_SANDBOX_NODE_READY_SECONDS"


def node_ready_default() -> float:
    """How long a node a node group adds takes to turn Ready: 3 s, or OPSBOOK_SANDBOX_NODE_READY_SECONDS."""
    return env_seconds(NODE_READY_VARIABLE, 3.0)


def point_eks_at(url: str, ca_pem: bytes) -> None:
    """prod's EKS `my-cluster` (moto) reports the fake Kubernetes API's endpoint and CA."""
    from moto.eks.models import eks_backends

    cluster = eks_backends[account(EKS_ACCOUNT).id][REGION].clusters[CLUSTER]
    cluster.endpoint = url
    cluster.certificate_authority = {"data": base64.b64encode(ca_pem).decode()}


def eks_token_valid(token: str) -> bool:
    """Accept an EKS bearer token as EKS would look at it (the signature itself is not verified):
    `k8s-aws-v1.` + base64url of a presigned STS GetCallerIdentity URL signing `x-k8s-aws-id`,
    signed less than 15 minutes ago."""
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qs, urlsplit

    prefix = "k8s-aws-v1."
    if not token.startswith(prefix):
        return False
    body = token[len(prefix) :]
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (ValueError, KeyError, UnicodeDecodeError):
        return False
    return (
        query.get("Action") == "GetCallerIdentity"
        and "x-k8s-aws-id" in query.get("X-Amz-SignedHeaders", "").split(";")
        and bool(query.get("X-Amz-Signature"))
        and datetime.now(UTC) - signed < timedelta(minutes=15)
    )


def reset_moto(url: str) -> None:
    """moto's own reset endpoint: forget every resource of every account (the server is in-process)."""
    import urllib.request

    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback sandbox URL
        resp.read()
