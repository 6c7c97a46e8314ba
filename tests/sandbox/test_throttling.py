"""One throttling answer per service and protocol (sandbox/throttling.py) for the fault proxy and the AWS
endpoint's throttling model alike: the exception the service's botocore model declares where it declares
one, and always something botocore's own parser reads and its retry checker counts as throttling."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
import botocore.session
import pytest
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

from opsbook.sandbox.aws.traffic import throttled_answer
from opsbook.sandbox.aws.wire import Call
from opsbook.sandbox.faults import FaultProxy
from opsbook.sandbox.throttling import throttle_response

JSON = {"x-amz-target": "Service.Operation", "content-type": "application/x-amz-json-1.1"}
QUERY = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
CBOR = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
# SigV4 name -> (botocore name, operation, request headers, the code and status the answer must carry)
CASES: dict[str, tuple[str, str, dict[str, str], str, int]] = {
    "ec2": ("ec2", "DescribeVolumes", QUERY, "RequestLimitExceeded", 503),
    "rds": ("rds", "DescribeDBInstances", QUERY, "Throttling", 400),
    "sns": ("sns", "ListTopics", QUERY, "Throttling", 400),  # its "Throttled" is not botocore's
    "logs": ("logs", "DescribeLogGroups", JSON, "ThrottlingException", 400),
    "dynamodb": ("dynamodb", "ListTables", JSON, "ThrottlingException", 400),
    "organizations": ("organizations", "ListAccounts", JSON, "TooManyRequestsException", 400),
    "monitoring": ("cloudwatch", "DescribeAlarms", CBOR, "ThrottlingException", 400),
    "eks": ("eks", "ListClusters", {}, "ThrottlingException", 429),  # declared, 429
    "apigateway": ("apigateway", "GetRestApis", {}, "TooManyRequestsException", 429),  # declared, 429
    "lambda": ("lambda", "ListFunctions", {}, "TooManyRequestsException", 429),
    "route53": ("route53", "ListHostedZones", {}, "ThrottlingException", 400),  # rest-xml
    "s3": ("s3", "ListBuckets", {}, "SlowDown", 503),
}


def parsed(name: str, operation: str, answer: tuple[int, dict[str, str], bytes]) -> dict[str, Any]:
    """What botocore makes of `answer`, with the parser of the protocol `name`'s client speaks."""
    model = botocore.session.get_session().get_service_model(name)
    status, headers, body = answer
    parser = botocore.parsers.create_parser(model.protocol)
    response = {"status_code": status, "headers": {k.lower(): v for k, v in headers.items()}, "body": body}
    result: dict[str, Any] = parser.parse(response, model.operation_model(operation).output_shape)
    return result


@pytest.mark.parametrize("service", sorted(CASES))
def test_the_proxy_and_the_model_answer_alike_and_botocore_counts_it_as_throttling(service: str) -> None:
    name, operation, headers, code, status = CASES[service]
    answer = throttle_response(service, headers)
    call = Call(method="POST", path="/", query={}, headers=headers, body=b"", service=service)
    assert throttled_answer(call) == answer  # the throttling model's answer is the proxy's
    seen = parsed(name, operation, answer)
    assert (seen["Error"]["Code"], seen["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert ThrottledRetryableChecker().is_retryable(RetryContext(attempt_number=1, parsed_response=seen))


@pytest.mark.parametrize(("service", "call", "code"), [("apigateway", "get_rest_apis", "TooManyRequestsException"),
                                                       ("eks", "list_clusters", "ThrottlingException")])  # fmt: skip
def test_a_real_client_through_the_fault_proxy_sees_the_declared_exception(
    service: str, call: str, code: str
) -> None:
    with FaultProxy(mode="throttle") as proxy:
        client = boto3.client(
            service, region_name="us-east-1", endpoint_url=proxy.url, aws_access_key_id="k",
            aws_secret_access_key="s",  # noqa: S106 - a fake key for a local proxy
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )  # fmt: skip
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            getattr(client, call)()
    response = caught.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 429)
