"""`rotate-certificate` on the sandbox through the plan engine, each effect read back through boto3: prod's
HTTPS listener (default certificate) and API Gateway custom domain move to a replacement that ACM issued
after DNS validation (the wait showed the CNAME records), expiring after the old one; re-running apply is a
no-op; rollback moves both back and deletes the replacement. A replacement that stays pending fails its
step with the records to create and moves nothing. An import replaces it with the given PEM (the plan holds
paths and hashes, never the key). Where the stacks define `rotate-certificate`, the plan runs that workflow
with the guide's arguments."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError
from opsbook.sandbox.aws import tls
from opsbook.sandbox.aws.seeds.security import self_signed
from opsbook.sandbox.aws.seeds.tls import DOMAIN
from opsbook.sandbox.stacks import sandbox_stacks_dir
from tests.procedures.cert_helpers import Prod, prod_tls
from tests.procedures.rds_helpers import apply, plan, results

PENDING = "PENDING_VALIDATION: create the DNS validation record(s) CNAME _"


@pytest.fixture()
def prod(sandbox: Any) -> Iterator[Prod]:
    yield from prod_tls(sandbox)


def rotate(cfg: Any, **raw: Any) -> Any:
    return plan(cfg, "rotate-certificate", accounts=("prod",), domain="*.example.com", **raw)


def test_rotation_moves_the_listener_and_api_domain_to_an_issued_replacement_and_rolls_back(
    sandbox_config: Any, prod: Prod, tmp_path: Path
) -> None:
    before = prod.certificates()
    rotation = rotate(sandbox_config)
    assert [(i.kind, i.action) for i in rotation.items] == [
        ("acm-certificate", "request-certificate"),
        ("certificate-consumer", "modify-listener"),
        ("certificate-consumer", "update-domain-name"),
        ("certificate-verify", "verify-certificate"),
    ]
    shown = "\n".join(rotation.items[0].evidence["display"])
    assert prod.seeded in shown and "web-alb HTTPS:443" in shown and f"{DOMAIN} (regional)" in shown
    assert rotation.items[-1].gate == ["acm.certificate_expiry"]
    assert prod.certificates() == before  # planning changed nothing

    progress: list[str] = []
    assert results(apply(sandbox_config, rotation, tmp_path, progress)) == ["done"] * 4
    assert any(p.startswith(PENDING) and f".{DOMAIN}. -> " in p for p in progress), progress
    (new,) = prod.certificates() - before
    assert prod.listener_default() == new and prod.api_domain() == new
    made, old = prod.describe(new), prod.describe(prod.seeded)
    assert made["Status"] == "ISSUED" and made["DomainName"] == DOMAIN and made["NotAfter"] > old["NotAfter"]

    assert results(apply(sandbox_config, rotation, tmp_path)) == ["already-done"] * 4
    assert prod.certificates() - before == {new}  # nothing requested twice

    assert results(apply(sandbox_config, rotation, tmp_path, rollback=True)).count("undone") == 4
    assert prod.listener_default() == prod.seeded and prod.api_domain() == prod.seeded
    assert prod.certificates() == before


def test_an_sni_certificate_is_added_then_the_old_one_removed_and_rolled_back(
    sandbox_config: Any, prod: Prod, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    cert, key = self_signed("internal.example.org", now - timedelta(days=1), now + timedelta(days=300))
    other = prod.make("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    elb = prod.make("elbv2")
    lb = elb.describe_listeners(ListenerArns=[prod.listener])["Listeners"][0]["LoadBalancerArn"]
    extra = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTPS", Port=8443, Certificates=[{"CertificateArn": other}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]  # fmt: skip

    def on_extra() -> dict[str, bool]:
        certs = elb.describe_listener_certificates(ListenerArn=extra)["Certificates"]
        return {c["CertificateArn"]: c["IsDefault"] for c in certs}

    try:
        elb.add_listener_certificates(ListenerArn=extra, Certificates=[{"CertificateArn": prod.seeded}])
        rotation = plan(sandbox_config, "rotate-certificate", accounts=("prod",), domain=DOMAIN)
        sni = [i.resource.name for i in rotation.items if i.action == "replace-listener-certificate"]
        assert sni == ["web-alb HTTPS:8443 (SNI)"]
        assert results(apply(sandbox_config, rotation, tmp_path)) == ["done"] * 5
        assert on_extra() == {other: True, prod.listener_default(): False}
        assert results(apply(sandbox_config, rotation, tmp_path, rollback=True)).count("undone") == 5
        assert on_extra() == {other: True, prod.seeded: False}
    finally:
        elb.delete_listener(ListenerArn=extra)


def test_a_replacement_pending_validation_shows_its_records_and_moves_nothing(
    sandbox_config: Any, prod: Prod, tmp_path: Path
) -> None:
    tls.configure(tls.STAY_PENDING)
    rotation = rotate(sandbox_config, wait_timeout=1)
    outcome = apply(sandbox_config, rotation, tmp_path).outcomes
    assert (
        outcome[0].result == "failed" and "timed out waiting for acm-certificate-issued" in outcome[0].reason
    )
    assert PENDING in outcome[0].reason and f".{DOMAIN}. -> " in outcome[0].reason
    assert [o.result for o in outcome[1:]] == ["not-run"] * 3, outcome
    assert prod.listener_default() == prod.seeded and prod.api_domain() == prod.seeded
    assert len(prod.certificates()) == 2  # the seeded one and the pending replacement

    apply(sandbox_config, rotation, tmp_path, rollback=True)
    assert prod.certificates() == {prod.seeded}  # the pending replacement is deleted


def test_an_import_replaces_it_with_the_given_pem_and_the_plan_holds_no_key(
    sandbox_config: Any, prod: Prod, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    cert, key = self_signed(DOMAIN, now - timedelta(days=1), now + timedelta(days=400))
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    rotation = rotate(sandbox_config, import_pem=str(tmp_path / "cert.pem"), key=str(tmp_path / "key.pem"))
    text = json.dumps(rotation.model_dump(mode="json"))
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text and "sha256" in text
    assert rotation.items[0].action == "import-certificate"
    assert results(apply(sandbox_config, rotation, tmp_path)) == ["done"] * 4
    new = prod.listener_default()
    assert new != prod.seeded and prod.api_domain() == new and prod.describe(new)["Type"] == "IMPORTED"
    assert prod.describe(new)["NotAfter"].date() == (now + timedelta(days=400)).date()


def test_a_changed_pem_file_is_not_imported(sandbox_config: Any, prod: Prod, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    cert, key = self_signed(DOMAIN, now - timedelta(days=1), now + timedelta(days=400))
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    rotation = rotate(sandbox_config, import_pem=str(tmp_path / "cert.pem"), key=str(tmp_path / "key.pem"))
    (tmp_path / "key.pem").write_bytes(self_signed(DOMAIN, now, now + timedelta(days=400))[1])
    first = apply(sandbox_config, rotation, tmp_path).outcomes[0]
    assert first.result == "skipped" and "--key" in first.reason and "changed since the plan" in first.reason
    assert len(prod.certificates()) == 1


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"domain": "not a domain"}, "--domain 'not a domain': expected a DNS name"),
        ({"domain": "*.example.com", "key": "k.pem"}, "--key and --chain go with --import"),
        (
            {"domain": "*.example.com", "import_pem": "/nonexistent.pem", "key": "k"},
            "--import /nonexistent.pem",
        ),
        ({"domain": "*.nowhere.example.org"}, "no issued ACM certificate for '*.nowhere.example.org'"),
    ],
)
def test_bad_input_is_refused_at_plan_time(sandbox_config: Any, raw: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError, match=None) as err:
        plan(sandbox_config, "rotate-certificate", accounts=("prod",), **raw)
    assert words in str(err.value)


def test_two_accounts_with_the_domain_must_be_told_apart(sandbox_config: Any) -> None:
    with pytest.raises(InputError) as err:
        plan(sandbox_config, "rotate-certificate", accounts=(), domain="*.example.com")
    assert "dev/us-east-1, prod/us-east-1: name one with --account" in str(err.value)


def test_the_stacks_workflow_runs_instead_with_the_guides_arguments(
    sandbox_config: Any, prod: Prod, tmp_path: Path
) -> None:
    tree = tmp_path / "stacks"
    shutil.copytree(sandbox_stacks_dir(), tree)
    out = tmp_path / "rotated.txt"
    (tree / "stacks" / "workflows" / "certificates.yaml").write_text(
        "workflows:\n  rotate-certificate:\n    description: Rotate a certificate.\n    steps:\n"
        f'      - command: echo "$TENANT $ACCOUNT $ENVIRONMENT $CERTIFICATE_NAME" > {out}\n'
        "        type: shell\n",
        encoding="utf-8",
    )
    stacks = sandbox_config.stacks.model_copy(update={"atmos_config": str(tree)})
    cfg = sandbox_config.model_copy(update={"stacks": stacks})
    rotation = rotate(cfg)
    (item,) = rotation.items
    assert item.kind == "atmos-workflow" and "opsbook runs it instead" in item.reason
    assert "tenant=mycompany account=prod environment=use1 certificate_name=*.example.com" in item.reason
    assert item.params["stack"] == "mycompany-prod-use1"
    assert results(apply(cfg, rotation, tmp_path)) == ["done"]
    assert out.read_text(encoding="utf-8") == "mycompany prod use1 *.example.com\n"
    assert prod.listener_default() == prod.seeded  # opsbook's own ACM steps did not run
    out.unlink()
    assert results(apply(cfg, rotation, tmp_path)) == ["already-done"] and not out.exists()
