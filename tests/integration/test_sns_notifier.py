"""The email channel over moto: what an SNS subscriber really receives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from job_monitor.adapters.sns import SnsNotifier
from job_monitor.domain import COMPLETED, FAILED, Origin
from job_monitor.messages import MessageOptions
from job_monitor.ports import DeliveryFailed
from job_monitor.routing import SlackRouter, parse_routes
from moto import mock_aws

from tests.support.reports import sample_report


class Topic:
    def __init__(self) -> None:
        self.sns = boto3.client("sns")
        self.sqs = boto3.client("sqs")
        self.arn = self.sns.create_topic(Name="summaries")["TopicArn"]

    def queue(self, name: str, *, filter_policy: dict | None = None) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
        self.sns.subscribe(TopicArn=self.arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        return url

    def received(self, url: str) -> list[dict]:
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]


@pytest.fixture
def topic() -> Iterator[Topic]:
    with mock_aws():
        yield Topic()


def test_subscriber_gets_subject_attributes_and_summary(topic: Topic) -> None:
    queue = topic.queue("all")
    notifier = SnsNotifier(boto3.client("sns"), topic_arn=topic.arn, options=MessageOptions())

    notifier.deliver(sample_report(COMPLETED))

    [envelope] = topic.received(queue)
    assert "bert-sweep" in envelope["Subject"]
    assert "COMPLETED" in envelope["Subject"]
    assert len(envelope["Subject"]) <= 100
    assert envelope["MessageAttributes"]["status"]["Value"] == COMPLETED
    assert envelope["MessageAttributes"]["job_name"]["Value"] == "bert-sweep"
    assert "ml.c5.xlarge" in envelope["Message"]


def test_filter_policy_on_status_lets_subscribers_pick_failures(topic: Topic) -> None:
    failures_only = topic.queue("failures", filter_policy={"status": ["FAILED"]})
    notifier = SnsNotifier(boto3.client("sns"), topic_arn=topic.arn, options=MessageOptions())

    notifier.deliver(sample_report(COMPLETED, name="good"))
    notifier.deliver(sample_report(FAILED, name="bad"))

    received = topic.received(failures_only)
    assert [envelope["MessageAttributes"]["job_name"]["Value"] for envelope in received] == ["bad"]


def test_publish_to_a_missing_topic_is_a_delivery_failure(topic: Topic) -> None:
    notifier = SnsNotifier(
        boto3.client("sns"), topic_arn=topic.arn.replace("summaries", "missing"), options=MessageOptions()
    )
    with pytest.raises(DeliveryFailed, match="SNS refused the message: NotFound"):
        notifier.deliver(sample_report(COMPLETED))


def test_a_lone_surrogate_in_job_text_is_delivered(topic: Topic) -> None:
    queue = topic.queue("all")
    notifier = SnsNotifier(boto3.client("sns"), topic_arn=topic.arn, options=MessageOptions())

    notifier.deliver(
        replace(sample_report(FAILED), description="half an emoji: \ud83d", failure_reason="\udc00")
    )

    [envelope] = topic.received(queue)
    assert json.loads(envelope["Message"])["failure_reason"] == "\ufffd"


def test_each_message_carries_its_routed_channel_so_a_team_can_filter_on_it(topic: Topic) -> None:
    router = SlackRouter(default_channel="C0DEFAULT01", routes=parse_routes("bert-*=C0BERT0TEAM"))
    bert_team = topic.queue("bert-team", filter_policy={"slack_channel": ["C0BERT0TEAM"]})
    everyone = topic.queue("everyone")
    notifier = SnsNotifier(boto3.client("sns"), topic_arn=topic.arn, options=MessageOptions(), router=router)

    notifier.deliver(sample_report(COMPLETED, "bert-sweep"))
    notifier.deliver(sample_report(FAILED, "t5-small"))

    [only] = topic.received(bert_team)
    assert only["MessageAttributes"]["job_name"]["Value"] == "bert-sweep"
    routed = {
        envelope["MessageAttributes"]["job_name"]["Value"]: envelope["MessageAttributes"]["slack_channel"][
            "Value"
        ]
        for envelope in topic.received(everyone)
    }
    assert routed == {"bert-sweep": "C0BERT0TEAM", "t5-small": "C0DEFAULT01"}


def test_the_routed_channel_follows_routes_by_account_and_region(topic: Topic) -> None:
    router = SlackRouter(
        default_channel="C0DEFAULT01",
        routes=parse_routes("222222222222/*/*=C0MEMBER001,111111111111/eu-west-1/*=C0HUBEUROPE"),
        home_account="111111111111",
    )
    everyone = topic.queue("everyone")
    notifier = SnsNotifier(boto3.client("sns"), topic_arn=topic.arn, options=MessageOptions(), router=router)

    notifier.deliver(replace(sample_report(COMPLETED, "member-job"), origin=Origin("222222222222", "")))
    notifier.deliver(
        replace(sample_report(COMPLETED, "hub-eu-job"), region="eu-west-1", origin=Origin("", "eu-west-1"))
    )
    notifier.deliver(sample_report(COMPLETED, "hub-job"))

    routed = {
        envelope["MessageAttributes"]["job_name"]["Value"]: envelope["MessageAttributes"]["slack_channel"][
            "Value"
        ]
        for envelope in topic.received(everyone)
    }
    assert routed == {"member-job": "C0MEMBER001", "hub-eu-job": "C0HUBEUROPE", "hub-job": "C0DEFAULT01"}
