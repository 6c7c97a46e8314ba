"""The guide's `aws sns publish --topic-arn arn:aws:sns:us-east-1:${AWS_ACCOUNT_ID}:maintenance-alerts` as an SNS
channel, against the sandbox's SNS: an SQS queue subscribed to the topic receives the message."""

from __future__ import annotations

import json

from opsbook.core.config import Config
from opsbook.core.events import Event, EventKind
from opsbook.notify import publish
from opsbook.providers.aws.session import SessionFactory


def test_sns_channel_publishes_through_the_account_session(sandbox_config: Config) -> None:
    prod = sandbox_config.account("prod")
    factory = SessionFactory(sandbox_config)
    sns = factory.client(prod, "us-east-1", "sns", "aws:prod/us-east-1")
    sqs = factory.client(prod, "us-east-1", "sqs", "aws:prod/us-east-1")
    topic = sns.create_topic(Name="maintenance-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="maintenance-alerts-test")["QueueUrl"]
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        channel = {
            "sns": {"topic_arn": f"arn:aws:sns:us-east-1:{prod.id}:maintenance-alerts", "account": "prod"}
        }
        cfg = sandbox_config.model_copy(
            update={"notifications": Config.model_validate(
                {"accounts": [{"name": "prod"}], "notifications": {
                    "channels": {"maintenance-alerts": channel},
                    "routes": [{"events": ["maintenance.*"], "channels": ["maintenance-alerts"]}]}}
            ).notifications}
        )  # fmt: skip
        event = Event(EventKind.MAINTENANCE_NOTICE, "Scheduled maintenance on 2026-12-07 at 02:00 UTC",
                      body="Scheduled maintenance on 2026-12-07 at 02:00 UTC (2 h): prod")  # fmt: skip
        [delivery] = publish(cfg, event)
        assert delivery.ok, delivery.error
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        [envelope] = [json.loads(m["Body"]) for m in got]
        assert envelope["TopicArn"] == topic
        assert envelope["Message"] == "Scheduled maintenance on 2026-12-07 at 02:00 UTC (2 h): prod"
        assert envelope["Subject"] == "Scheduled maintenance on 2026-12-07 at 02:00 UTC"
    finally:
        sqs.delete_queue(QueueUrl=queue)
        sns.delete_topic(TopicArn=topic)
