"""EKS bearer tokens: the presigned STS GetCallerIdentity URL, its signed header, and refresh."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from opsbook.providers.k8s.eks_token import (
    TOKEN_PREFIX,
    EksTokenSource,
    decode_token,
    eks_token,
)


def session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="AKIAOPSBOOKTEST", aws_secret_access_key="secret")


def test_token_is_a_presigned_get_caller_identity_signing_the_cluster_header() -> None:
    token = eks_token(session(), "my-cluster", "eu-west-1")
    assert token.startswith(TOKEN_PREFIX) and "=" not in token  # base64url without padding
    url = decode_token(token)
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "sts.eu-west-1.amazonaws.com"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    assert query["X-Amz-Expires"] == "60"
    assert query["X-Amz-SignedHeaders"].split(";") == ["host", "x-k8s-aws-id"]
    assert query["X-Amz-Credential"].startswith("AKIAOPSBOOKTEST/") and query["X-Amz-Signature"]
    assert "my-cluster" not in url  # the cluster name travels in the signed header, not the URL


def test_token_signature_depends_on_the_cluster_name() -> None:
    a = parse_qs(urlsplit(decode_token(eks_token(session(), "a", "us-east-1"))).query)["X-Amz-Signature"]
    b = parse_qs(urlsplit(decode_token(eks_token(session(), "b", "us-east-1"))).query)["X-Amz-Signature"]
    assert a != b


def test_endpoint_override_is_used_for_the_sandbox() -> None:
    url = decode_token(eks_token(session(), "my-cluster", "us-east-1", "http://127.0.0.1:5000"))
    assert url.startswith("http://127.0.0.1:5000/?Action=GetCallerIdentity")


def test_source_reuses_a_token_then_signs_a_new_one_before_expiry() -> None:
    now = [1000.0]
    source = EksTokenSource(session(), "my-cluster", "us-east-1", clock=lambda: now[0])
    first = source.get()
    now[0] += 9 * 60
    assert source.get() == first and source.signed == 1
    now[0] += 61  # 10 minutes and a second: well inside the 15-minute life, re-sign anyway
    source.get()
    assert source.signed == 2


def test_decode_rejects_other_tokens() -> None:
    with pytest.raises(ValueError):
        decode_token("sandbox-static-token")
