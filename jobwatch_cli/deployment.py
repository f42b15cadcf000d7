"""Finding a deployed monitor and what belongs to it, with the operator's own AWS credentials.

The function is the anchor: a stack leads to it (its ``job_monitor.handler.handler`` function),
and its environment names the table, topic and secret. The schedule is whatever EventBridge
Scheduler schedule or EventBridge rule targets it; the alarms are those that watch the function
and every alarm notifying the same topic as they do. That works the same for the stack, for the
construct embedded in another app, and with ``--function`` alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from job_monitor.settings import Settings, SettingsError, service_name

DEFAULT_STACK = "Jobwatch"
MONITOR_HANDLER = "job_monitor.handler.handler"
# The handler publishes its metrics under this namespace with the dimension service=<its stack's name>.
METRICS_NAMESPACE = "jobwatch"
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, user_agent_extra="jobwatch-cli")
_NO_REGION = "no AWS region set: pass --region or set AWS_REGION (or configure one in your profile)"
_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}


class OperatorError(Exception):
    """Something the operator must fix, said in one sentence; the CLI prints it and exits non-zero."""


@contextlib.contextmanager
def plain_errors(*, profile: str | None = None) -> Iterator[None]:
    """Turn the AWS SDK's exceptions into one sentence that names what to fix."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise OperatorError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, set AWS_PROFILE, or pass --profile"
        ) from None
    except ProfileNotFound:
        raise OperatorError(f"the AWS profile {profile!r} is not in your AWS config files") from None
    except NoRegionError:
        raise OperatorError(_NO_REGION) from None
    except InvalidRegionError as error:
        raise OperatorError(
            f"{error.kwargs.get('region_name')!r} is not a region name: check --region"
        ) from None
    except EndpointConnectionError as error:
        raise OperatorError(
            f"could not reach {error.kwargs.get('endpoint_url')}: check --region, your network "
            "and any AWS_ENDPOINT_URL variables"
        ) from None
    except ClientError as error:
        raise OperatorError(_client_error_sentence(error)) from None
    except BotoCoreError as error:
        raise OperatorError(f"the AWS SDK failed: {error}") from None


def _client_error_sentence(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code, message = details.get("Code", "Unknown"), details.get("Message", "")
    operation = error.operation_name
    if code in _CREDENTIAL_CODES:
        return (
            f"AWS rejected your credentials ({code}): refresh them (`aws sso login`, new keys) and try again"
        )
    if "AccessDenied" in code or code == "AuthorizationError":
        return f"AWS denied {operation} to your credentials: they need that permission ({message})"
    return f"{operation} failed: {code}: {message}"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(kw_only=True)
class Deployment:
    """One deployed monitor: its function, configuration and a client factory on one session."""

    session: boto3.session.Session
    region: str
    stack_name: str | None
    function_name: str
    function_arn: str
    configuration: dict[str, Any]
    settings: Settings
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=_CLIENT_CONFIG)
        return self._clients[service]

    @property
    def label(self) -> str:
        where = f"stack {self.stack_name}, " if self.stack_name else ""
        return f"{where}function {self.function_name}, {self.region}"

    @property
    def service_name(self) -> str:
        """The ``service`` dimension of this function's own metrics, not another deployment's."""
        return service_name(self.configuration.get("Environment", {}).get("Variables", {}))

    def describe(self) -> dict[str, Any]:
        return {
            "stack": self.stack_name,
            "function": self.function_name,
            "region": self.region,
            "table": self.settings.state_table_name,
            "channels": list(self.settings.channels),
            "topic_arn": self.settings.topic_arn,
            "slack_secret_name": self.settings.slack_secret_name,
        }

    # --- what belongs to the function ----------------------------------------------------------

    def alarms(self) -> list[dict[str, Any]]:
        """The alarms on the function's metrics, and every other alarm notifying the same topics."""
        everything = [
            alarm
            for page in self.client("cloudwatch").get_paginator("describe_alarms").paginate()
            for alarm in page.get("MetricAlarms", [])
        ]
        own = [alarm for alarm in everything if self._watches_function(alarm)]
        topics = self._sns_actions(own)
        return sorted(
            (alarm for alarm in everything if alarm in own or topics & self._sns_actions([alarm])),
            key=lambda alarm: alarm["AlarmName"],
        )

    def alarm_topics(self, alarms: list[dict[str, Any]]) -> set[str]:
        return self._sns_actions(alarms)

    def _watches_function(self, alarm: dict[str, Any]) -> bool:
        dimensions = list(alarm.get("Dimensions", []))
        for query in alarm.get("Metrics", []):
            dimensions += query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
        return {"Name": "FunctionName", "Value": self.function_name} in dimensions

    @staticmethod
    def _sns_actions(alarms: list[dict[str, Any]]) -> set[str]:
        return {action for alarm in alarms for action in alarm.get("AlarmActions", []) if ":sns:" in action}

    def schedules(self) -> list[dict[str, Any]]:
        """EventBridge Scheduler schedules and EventBridge rules that invoke the function."""
        found = []
        for page in self.client("scheduler").get_paginator("list_schedules").paginate():
            for schedule in page.get("Schedules", []):
                if self._is_function(schedule.get("Target", {}).get("Arn", "")):
                    found.append(
                        {
                            "kind": "EventBridge Scheduler schedule",
                            "name": f"{schedule.get('GroupName', 'default')}/{schedule['Name']}",
                            "state": schedule.get("State", "UNKNOWN"),
                        }
                    )
        events = self.client("events")
        for page in events.get_paginator("list_rule_names_by_target").paginate(TargetArn=self.function_arn):
            for name in page.get("RuleNames", []):
                rule = events.describe_rule(Name=name)
                found.append(
                    {"kind": "EventBridge rule", "name": name, "state": rule.get("State", "UNKNOWN")}
                )
        return found

    def subscriptions(self, topic_arn: str) -> list[dict[str, Any]]:
        """A topic's subscriptions; SNS lists an unconfirmed one with ``PendingConfirmation`` for its ARN."""
        sns = self.client("sns")
        found = []
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for subscription in page.get("Subscriptions", []):
                confirmed = subscription["SubscriptionArn"].startswith("arn:")
                attributes = (
                    sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
                        "Attributes"
                    ]
                    if confirmed
                    else {}
                )
                found.append(
                    {
                        "endpoint": subscription.get("Endpoint", ""),
                        "protocol": subscription.get("Protocol", ""),
                        "confirmed": confirmed,
                        "filter_policy": attributes.get("FilterPolicy"),
                    }
                )
        return found

    def _is_function(self, arn: str) -> bool:
        return arn == self.function_arn or arn.startswith(self.function_arn + ":")

    def tick_history(self, *, now: datetime, hours: int = 24) -> TickHistory:
        """When ticks ran and failed, from the metrics every tick publishes (TickErrors, even when 0)."""
        function = [{"Name": "FunctionName", "Value": self.function_name}]
        service = [{"Name": "service", "Value": self.service_name}]
        queries = {
            "ticks": (METRICS_NAMESPACE, "TickErrors", service, "SampleCount"),
            "tick_errors": (METRICS_NAMESPACE, "TickErrors", service, "Sum"),
            "function_errors": ("AWS/Lambda", "Errors", function, "Sum"),
        }
        response = self.client("cloudwatch").get_metric_data(
            MetricDataQueries=[
                {
                    "Id": key,
                    "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
                        "Period": 60,
                        "Stat": stat,
                    },
                }
                for key, (namespace, name, dimensions, stat) in queries.items()
            ],
            StartTime=now - timedelta(hours=hours),
            EndTime=now + timedelta(minutes=1),  # the end is exclusive: keep the current minute's ticks
        )
        series = {
            result["Id"]: list(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
            for result in response.get("MetricDataResults", [])
        }
        hour_ago = now - timedelta(hours=1)

        def last_hour(key: str) -> float:
            return sum(value for moment, value in series.get(key, []) if _utc(moment) >= hour_ago)

        ticks = [_utc(moment) for moment, value in series.get("ticks", []) if value > 0]
        return TickHistory(
            last_tick=max(ticks) if ticks else None,
            ticks_last_hour=round(last_hour("ticks")),
            tick_errors_last_hour=round(last_hour("tick_errors")),
            function_errors_last_hour=round(last_hour("function_errors")),
        )


@dataclass(frozen=True, kw_only=True)
class TickHistory:
    last_tick: datetime | None
    ticks_last_hour: int
    tick_errors_last_hour: int
    function_errors_last_hour: int


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_for(*, region: str | None, profile: str | None) -> boto3.session.Session:
    """The standard credential chain; boto3 itself honours the AWS_ENDPOINT_URL* variables.

    boto3 reads AWS_DEFAULT_REGION; AWS_REGION (what the AWS CLI v2 and Lambda set) is read here.
    """
    with plain_errors(profile=profile):
        session = boto3.session.Session(
            region_name=region or os.environ.get("AWS_REGION") or None, profile_name=profile
        )
    if not session.region_name:
        raise OperatorError(_NO_REGION)
    return session


def locate(session: boto3.session.Session, *, stack: str | None, function: str | None) -> Deployment:
    """The deployment named by ``--function``, or the monitor function of ``--stack``."""
    region = session.region_name
    lambda_ = session.client("lambda", config=_CLIENT_CONFIG)
    if function:
        configuration = _function_configuration(lambda_, function, region)
        stack_name = None
    else:
        stack_name = stack or DEFAULT_STACK
        configuration = _stack_function(session, lambda_, stack_name, region)
    environment = dict(configuration.get("Environment", {}).get("Variables", {}))
    try:
        settings = Settings.from_env({**environment, "AWS_REGION": region})
    except SettingsError as error:
        raise OperatorError(
            f"the function {configuration['FunctionName']} has an invalid environment: {error}"
        ) from None
    return Deployment(
        session=session,
        region=region,
        stack_name=stack_name,
        function_name=configuration["FunctionName"],
        function_arn=configuration["FunctionArn"],
        configuration=configuration,
        settings=settings,
    )


def _function_configuration(lambda_: Any, name: str, region: str) -> dict[str, Any]:
    try:
        return lambda_.get_function_configuration(FunctionName=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise OperatorError(
                f"no Lambda function named {name} in {region}: check --function and --region"
            ) from None
        raise


def _stack_function(
    session: boto3.session.Session, lambda_: Any, stack_name: str, region: str
) -> dict[str, Any]:
    cloudformation = session.client("cloudformation", config=_CLIENT_CONFIG)
    try:
        resources = [
            resource
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            for resource in page.get("StackResourceSummaries", [])
        ]
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in str(error):
            raise OperatorError(
                f"no CloudFormation stack named {stack_name} in {region}: check --stack and --region, "
                "or name the function with --function"
            ) from None
        raise
    candidates = [
        _function_configuration(lambda_, resource["PhysicalResourceId"], region)
        for resource in resources
        if resource.get("ResourceType") == "AWS::Lambda::Function" and resource.get("PhysicalResourceId")
    ]
    monitors = [found for found in candidates if found.get("Handler") == MONITOR_HANDLER]
    if not monitors:
        raise OperatorError(
            f"the stack {stack_name} in {region} has no function with handler {MONITOR_HANDLER}: "
            "is it a jobwatch stack? Name the function with --function"
        )
    if len(monitors) > 1:
        names = ", ".join(found["FunctionName"] for found in monitors)
        raise OperatorError(
            f"the stack {stack_name} has several jobwatch functions ({names}): pick one with --function"
        )
    return monitors[0]
