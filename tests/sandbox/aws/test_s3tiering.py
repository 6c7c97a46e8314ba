"""The sandbox's S3 Intelligent-Tiering operations (moto's PUT is a no-op) through real boto3."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest

from opsbook.sandbox.aws.wire import s3_operation
from opsbook.sandbox.estate import REGION

KEY = "opsbooksandbox"


def test_describe_names_intelligent_tiering_operations_only() -> None:
    assert s3_operation("PUT", "intelligent-tiering&id=a", True) == "PutBucketIntelligentTieringConfiguration"
    assert s3_operation("GET", "id=a&intelligent-tiering", True) == "GetBucketIntelligentTieringConfiguration"
    assert s3_operation("GET", "intelligent-tiering", False) == "ListBucketIntelligentTieringConfigurations"
    assert (
        s3_operation("DELETE", "intelligent-tiering&id=a", True)
        == "DeleteBucketIntelligentTieringConfiguration"
    )
    assert s3_operation("GET", "tagging", False) == ""
    assert s3_operation("GET", "", False) == ""


def test_put_get_list_delete_round_trip(sandbox) -> None:  # type: ignore[no-untyped-def]
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=sandbox.aws_url,
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
    )
    bucket = "opsbook-test-tiering-roundtrip"
    s3.create_bucket(Bucket=bucket)
    try:
        assert (
            s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket).get(
                "IntelligentTieringConfigurationList", []
            )
            == []
        )
        config = {"Id": "t1", "Status": "Enabled", "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]}
        s3.put_bucket_intelligent_tiering_configuration(
            Bucket=bucket, Id="t1", IntelligentTieringConfiguration=config
        )
        got = s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1")[
            "IntelligentTieringConfiguration"
        ]
        assert got == config
        listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)[
            "IntelligentTieringConfigurationList"
        ]
        assert [c["Id"] for c in listed] == ["t1"]
        with pytest.raises(botocore.exceptions.ClientError) as bad:
            s3.put_bucket_intelligent_tiering_configuration(
                Bucket=bucket,
                Id="t2",
                IntelligentTieringConfiguration={
                    **config,
                    "Id": "t2",
                    "Tierings": [{"Days": 10, "AccessTier": "ARCHIVE_ACCESS"}],
                },
            )
        assert bad.value.response["Error"]["Code"] == "MalformedXML"
        s3.delete_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1")
        with pytest.raises(botocore.exceptions.ClientError) as gone:
            s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1")
        assert gone.value.response["Error"]["Code"] == "NoSuchConfiguration"
    finally:
        s3.delete_bucket(Bucket=bucket)
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchBucket"
