"""botocore's XML parser with each structure's plan kept (fast_parsers.py): the same answers as botocore's own
method, on EC2 query and S3 REST-XML responses, without reading the model again for every element."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import botocore.session
import pytest

from opsbook.providers.aws import fast_parsers
from opsbook.providers.aws.models import lean_loader

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def volume(n: int) -> str:
    return (
        f"<item><volumeId>vol-{n}</volumeId><size>{n}</size><status>available</status>"
        f"<createTime>2026-11-0{1 + n % 9}T10:00:00.000Z</createTime><encrypted>{str(n % 2 == 0).lower()}"
        f"</encrypted><attachmentSet/><tagSet><item><key>Name</key><value>v{n}</value></item>"
        f"<item><key>team</key><value>ops</value></item></tagSet></item>"
    )


EC2_BODY = (
    f'<DescribeVolumesResponse xmlns="{NS}"><requestId>r-1</requestId>'
    f"<volumeSet>{''.join(volume(n) for n in range(5))}</volumeSet><nextToken>t-2</nextToken>"
    "</DescribeVolumesResponse>"
).encode()
S3_BODY = (
    b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o1</ID></Owner>'
    b'<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xsi:type="CanonicalUser"><ID>o1</ID><DisplayName>me</DisplayName></Grantee>'
    b"<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"
)
CASES = [("ec2", "DescribeVolumes", EC2_BODY, 200), ("s3", "GetBucketAcl", S3_BODY, 200)]


def parse(service: str, operation: str, body: bytes, status: int) -> Any:
    model = botocore.session.Session().get_service_model(service)
    op = model.operation_model(operation)
    response = {"body": body, "headers": {}, "status_code": status}
    return botocore.parsers.create_parser(model.metadata["protocol"]).parse(response, op.output_shape)


def test_answers_are_botocores(monkeypatch: pytest.MonkeyPatch) -> None:
    lean_loader()  # installs, as every run's SessionFactory does
    assert fast_parsers._ORIGINALS, "not installed"
    ours = [parse(*case) for case in CASES]
    parser = botocore.parsers.BaseXMLResponseParser
    for name, method in fast_parsers._ORIGINALS.items():
        monkeypatch.setattr(parser, name, method)
    theirs = [parse(*case) for case in CASES]
    assert ours == theirs
    assert ours[0]["Volumes"][4]["Tags"] == [{"Key": "Name", "Value": "v4"}, {"Key": "team", "Value": "ops"}]
    assert ours[0]["NextToken"] == "t-2"
    assert ours[1]["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"  # an XML attribute


def test_the_model_is_read_once_per_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    lean_loader()
    model = botocore.session.Session().get_service_model("ec2")
    op = model.operation_model("DescribeVolumes")
    parser = botocore.parsers.create_parser("ec2")
    response = {"body": EC2_BODY, "headers": {}, "status_code": 200}
    parser.parse(response, op.output_shape)  # makes the plans
    asked: list[str] = []
    real = botocore.parsers.BaseXMLResponseParser._member_key_name

    def counting(self: Any, shape: Any, name: str) -> Any:
        asked.append(name)
        return real(self, shape, name)

    monkeypatch.setattr(botocore.parsers.BaseXMLResponseParser, "_member_key_name", counting)
    again = parser.parse(response, op.output_shape)
    assert len(again["Volumes"]) == 5 and asked == []


def test_botocore_without_what_is_patched_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_parsers, "_installed", False)
    monkeypatch.delattr(botocore.parsers.BaseXMLResponseParser, "_member_key_name")
    before = botocore.parsers.BaseXMLResponseParser._handle_structure
    assert fast_parsers.install() is False
    assert botocore.parsers.BaseXMLResponseParser._handle_structure is before
