"""A deployment of the synthesized stack in moto for the operator CLI's tests, and how to drive it."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from jobwatch_cli.cli import main
from local.deployed import LocalDeployment, deploy
from local.organization import SimulatedOrganization, account_of_key
from local.sandbox import (
    ACCOUNT_ID,
    REGION,
    LocalCloud,
    LocalFunction,
    Provisioned,
    SynthesizedStack,
    collect_email,
    endpoint_variables,
    provision,
)
from local.slack_receiver import SlackReceiver
from local.story import TICK_SECONDS, TICKS, build_world

CONTEXT = {"notify_emails": "ml-team@example.com", "slack_webhook_secret_name": "jobwatch/slack"}
ATTEMPTS = 2  # so that a Slack outage abandons messages within a few ticks


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class World:
    cloud: LocalCloud
    provisioned: Provisioned
    deployment: LocalDeployment
    function: LocalFunction | None
    slack: SlackReceiver
    clock: Any
    simulator: Any
    org: SimulatedOrganization | None = None  # with member accounts: SageMaker per account, STS refusals

    def ticks(self, count: int) -> None:
        assert self.function is not None
        for _ in range(count):
            self.function.invoke()
            self.clock.advance(TICK_SECONDS)
        self.deployment.publish_metrics(self.cloud, self.function.log_records())

    def cli(self, *arguments: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        function = self.function
        invoke = None if function is None else lambda _name, event: function.invoke(event)
        code = main(list(arguments), invoke=invoke, out=out, err=err)
        return Result(code, out.getvalue(), err.getvalue())

    def emails(self) -> list[dict[str, Any]]:
        return [message for inbox in self.provisioned.inboxes for message in collect_email(self.cloud, inbox)]

    def slack_posts(self) -> list[str]:
        return [request.json["text"] for request in self.slack.requests]

    def table_items(self) -> list[dict[str, Any]]:
        return self.cloud.client("dynamodb").scan(TableName=self.provisioned.table_name)["Items"]

    def alarm_topic(self) -> str:
        return next(arn for arn in self.provisioned.physical_ids.values() if ":MonitorAlarms" in arn)


@contextmanager
def deployed_world(
    stack: SynthesizedStack,
    *,
    run_function: bool,
    organization: bool = False,
    refused_accounts: Sequence[str] = (),
) -> Iterator[World]:
    """The story's simulator, moto holding the deployment, and the handler ready to run if asked.

    With ``organization`` (a stack that watches member accounts), SageMaker answers per account and
    region, the story's in the function's own, and STS refuses the reader role in each of
    ``refused_accounts``. Every LocalCloud resets moto's shared state, so only one world may exist
    at a time.
    """
    clock, simulator = build_world()
    with contextlib.ExitStack() as stack_of:
        cloud = stack_of.enter_context(LocalCloud())
        org = None
        if organization:
            org = stack_of.enter_context(
                SimulatedOrganization(clock=clock, account_of=account_of_key(cloud.endpoint_url))
            )
            org.adopt(ACCOUNT_ID, REGION, simulator)
            for account in refused_accounts:
                org.refuse_assume_role(account)
        else:
            stack_of.enter_context(simulator)
        slack = stack_of.enter_context(SlackReceiver())
        patch = stack_of.enter_context(pytest.MonkeyPatch.context())
        provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"webhook_url": slack.url}))
        provisioned.environment["MAX_DELIVERY_ATTEMPTS"] = str(ATTEMPTS)
        deployment = deploy(stack, cloud, provisioned)
        endpoints = endpoint_variables(cloud, (org or simulator).endpoint_url)
        for name, value in endpoints.items():
            patch.setenv(name, value)
        if not run_function:
            yield World(cloud, provisioned, deployment, None, slack, clock, simulator, org)
            return
        with LocalFunction.of_stack(stack, provisioned, endpoints=endpoints) as function:
            yield World(cloud, provisioned, deployment, function, slack, clock, simulator, org)


def one_sentence(result: Result) -> str:
    assert result.code == 1
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("jobwatch: ")
    return lines[0]


def abandon_slack(world: World) -> None:
    """Slack says the webhook is gone for the whole story; every Slack message is abandoned."""
    world.ticks(1)
    world.slack.fail_next(count=100, status=404)
    world.ticks(TICKS + ATTEMPTS)
    world.slack.recover()


def allow_cloudwatch_on_alarm_topic(world: World) -> None:
    """The statement the alarm topic's policy needs (issue 12, defect 1), whatever the template has now."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": world.alarm_topic(),
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            }
        ],
    }
    world.cloud.client("sns").set_topic_attributes(
        TopicArn=world.alarm_topic(), AttributeName="Policy", AttributeValue=json.dumps(policy)
    )


def verdicts(result: Result) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for check in result.json["checks"]:
        found.setdefault(check["name"], []).append(check)
    return found
