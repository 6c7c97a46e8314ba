"""`opsbook review access` against the sandbox (read back from what the sandbox holds): the IAM users with
their groups, policies, login, MFA and keys, the roles with their last use, the cluster's bindings with
their subjects and the IAM principals aws-auth maps to them; one listing per target."""

from __future__ import annotations

from typing import Any

from opsbook.core.config import Config
from opsbook.engine.access_review import layout, run_review
from opsbook.reports.access_review import markdown
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import account


def test_review_lists_users_roles_bindings_and_aws_auth(sandbox: Any, sandbox_config: Config) -> None:
    result = run_review(sandbox_config)
    doc = layout(result.findings, result.failed_targets)
    assert doc["errors"] == [] and doc["exit_code"] == 0
    iam = clients_for(sandbox.aws_url, account("prod"))("iam")
    live = {u["UserName"] for u in iam.list_users()["Users"]}
    users = {u["user"]: u for u in doc["users"] if u["account"] == "prod"}
    assert set(users) == live == {"bob", "carol", "break-glass"}
    carol = users["carol"]
    assert carol["status"] == "inactive" and carol["groups"] == ["contractors"] and carol["mfa"] == "yes"
    assert carol["policies"] == [
        f"inline:{n}" for n in iam.list_user_policies(UserName="carol")["PolicyNames"]
    ] + ["managed:app-deploy-s3"]
    assert carol["access_keys"].startswith("1:active used ") and carol["last_login"] != "never"
    assert users["bob"]["status"] == "active" and users["bob"]["mfa"] == "no"
    assert users["break-glass"]["status"] == "kept"
    roles = {(r["account"], r["role"]): r for r in doc["roles"]}
    assert roles[("staging", "old-batch")]["status"] == "unused"
    assert roles[("prod", "legacy-admin")]["policies"] == ["inline:admin"]
    bindings = {b["binding"]: b for b in doc["bindings"]}
    ops = bindings["ClusterRoleBinding ops-admins"]
    assert ops["status"] == "wide" and ops["subjects"] == ["Group ops-admins"]
    assert ops["iam_principals"] == ["arn:aws:iam::333333333333:role/PlatformAdmin"]
    assert bindings["ClusterRoleBinding cluster-admin"]["status"] == "ok"  # system:masters only
    assert bindings["RoleBinding production/support-pod-reader"]["status"] == "ok"
    assert {m["iam_principal"].rsplit("/", 1)[-1]: m["status"] for m in doc["aws_auth"]} == {
        "my-cluster-node-role": "ok",
        "PlatformAdmin": "wide",
    }
    # every account and the cluster were read (else the loop below would check nothing)
    assert {"aws:dev/us-east-1", "aws:staging/us-east-1", "aws:prod/us-east-1", "k8s:my-cluster"} <= set(
        result.api_calls), set(result.api_calls)  # fmt: skip
    for target, calls in result.api_calls.items():  # one listing per target
        if target.startswith("aws:"):
            assert calls.get("iam:GetAccountAuthorizationDetails") == 1, calls
        elif target.startswith("k8s:"):
            assert calls["k8s:list clusterrolebindings.rbac.authorization.k8s.io"] == 1, calls
    md = markdown(doc)
    assert "| prod | carol | inactive |" in md and "## Kubernetes bindings (7)" in md
