"""The IAM action behind an API call, as botocore names the call (`service` as opsbook makes the client).

Most actions are `<prefix>:<Operation>`; the exceptions are listed here (S3's renamed actions, API
Gateway's HTTP-verb actions, Elastic Load Balancing's and Service Quotas' prefixes). Kubernetes calls are recorded as their
RBAC verb and resource ("list nodes"), which is already the permission.
"""

from __future__ import annotations

import re

# an IAM action as a policy names it (`ec2:DescribeVolumes`, `apigateway:GET`); item kinds also declare
# Kubernetes RBAC verbs ("patch deployments.apps") and what they need outside AWS, which are not
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")

PREFIX = {
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "service-quotas": "servicequotas",
    "resourcegroupstaggingapi": "tag",
}

RENAMED = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "ListBucketIntelligentTieringConfigurations"): "s3:GetIntelligentTieringConfiguration",
    ("s3", "GetBucketIntelligentTieringConfiguration"): "s3:GetIntelligentTieringConfiguration",
    ("s3", "PutBucketIntelligentTieringConfiguration"): "s3:PutIntelligentTieringConfiguration",
    ("s3", "DeleteBucketIntelligentTieringConfiguration"): "s3:PutIntelligentTieringConfiguration",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("logs", "FilterLogEvents"): "logs:FilterLogEvents",
}

APIGATEWAY_VERBS = (
    ("Get", "GET"),
    ("Create", "POST"),
    ("Put", "PUT"),
    ("Update", "PATCH"),
    ("Delete", "DELETE"),
)


def iam_action(service: str, operation: str) -> str:
    """`s3`, `ListBuckets` -> `s3:ListAllMyBuckets`; `apigateway`, `GetRestApis` -> `apigateway:GET`."""
    if service == "k8s":
        return operation
    if (service, operation) in RENAMED:
        return RENAMED[(service, operation)]
    if service in ("apigateway", "apigatewayv2"):
        verb = next((v for prefix, v in APIGATEWAY_VERBS if operation.startswith(prefix)), "GET")
        return f"apigateway:{verb}"
    return f"{PREFIX.get(service, service)}:{operation}"


def recorded_action(call: str) -> str:
    """An ApiStats entry (`service:Operation`) as the IAM action it needs."""
    service, _, operation = call.partition(":")
    return iam_action(service, operation)


# The name a request is signed with (what a server sees in its credential scope), where it differs from the
# client name `iam_action` takes: CloudWatch signs as `monitoring`, the tagging API as `tagging`.
SIGNED = {"monitoring": "cloudwatch", "tagging": "resourcegroupstaggingapi"}


def signed_action(signing_name: str, operation: str) -> str:
    """An operation as an AWS endpoint sees it (signing name, botocore operation name) as its IAM action."""
    return iam_action(SIGNED.get(signing_name, signing_name), operation)
