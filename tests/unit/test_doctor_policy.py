"""doctor's reading of an SNS topic policy: may CloudWatch publish alarm notifications to it?"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobwatch_cli.doctor import allows_cloudwatch

TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
TLS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
CLOUDWATCH = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": TOPIC,
    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
}
# What SNS gives a topic nobody set a policy on: the account's principals, CloudWatch alarms included.
SNS_DEFAULT = {
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": ["SNS:GetTopicAttributes", "SNS:Publish", "SNS:Subscribe"],
    "Resource": TOPIC,
    "Condition": {"StringEquals": {"AWS:SourceOwner": "123456789012"}},
}
OTHER_SERVICE = {**CLOUDWATCH, "Principal": {"Service": ["events.amazonaws.com"]}}
CLOUDWATCH_SUBSCRIBE_ONLY = {**CLOUDWATCH, "Action": "sns:Subscribe"}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        (policy(TLS_ONLY), False),  # the stack's policy before issue 12
        (policy(TLS_ONLY, CLOUDWATCH), True),
        (policy(SNS_DEFAULT), True),
        (policy(TLS_ONLY, OTHER_SERVICE), False),
        (policy(CLOUDWATCH_SUBSCRIBE_ONLY), False),
        (None, False),
    ],
)
def test_cloudwatch_may_publish_only_when_a_statement_allows_it(document: str | None, allowed: bool) -> None:
    assert allows_cloudwatch(document) is allowed
