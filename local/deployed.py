"""What ``cdk deploy`` leaves in an account for an operator's tools to find, stood up in moto.

``sandbox.provision`` creates what the function's code touches; this adds what ``jobwatch``
(the operator's CLI) looks at: a CloudFormation stack holding the function and its environment,
the schedule, the alarms, the topic policies and the email subscriptions, each built from the
synthesized template's own properties. moto's CloudFormation cannot create alarms or schedules,
so those are created through their APIs; the function's code is never run by moto (the sandbox's
LocalFunction runs it), moto only holds its configuration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.sandbox import (
    ACCOUNT_ID,
    REGION,
    LocalCloud,
    Provisioned,
    SandboxError,
    SynthesizedStack,
)

STACK_NAME = "Jobwatch"
_PLACEHOLDER_CODE = (
    "def handler(event, context):\n    raise RuntimeError('run locally through LocalFunction')\n"
)
_ALARM_KEYS = (
    "AlarmDescription",
    "MetricName",
    "Namespace",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "Metrics",
    "Unit",
)
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class LocalDeployment:
    """The deployed names, as the CLI should find them."""

    stack_name: str
    function_name: str
    function_arn: str
    alarm_names: list[str]
    schedule_names: list[str]
    _forwarded: int = field(default=0)

    def publish_metrics(self, cloud: LocalCloud, log_records: Iterable[dict[str, Any]]) -> int:
        """Forward the function's new EMF records to CloudWatch, as Lambda does; returns how many."""
        records = [record for record in log_records if "_aws" in record]
        fresh, self._forwarded = records[self._forwarded :], len(records)
        cloudwatch = cloud.client("cloudwatch")
        for record in fresh:
            moment = datetime.fromtimestamp(record["_aws"]["Timestamp"] / 1000, tz=UTC)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                dimensions = [
                    {"Name": name, "Value": str(record[name])}
                    for names in directive.get("Dimensions", [])
                    for name in names
                ]
                data = [
                    {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Value": float(value),
                        "Unit": metric.get("Unit", "None"),
                        "Timestamp": moment,
                    }
                    for metric in directive["Metrics"]
                    for value in _values(record[metric["Name"]])
                ]
                if data:
                    cloudwatch.put_metric_data(Namespace=directive["Namespace"], MetricData=data)
        return len(fresh)


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def deploy(
    stack: SynthesizedStack, cloud: LocalCloud, provisioned: Provisioned, *, stack_name: str = STACK_NAME
) -> LocalDeployment:
    """Create the stack's operator-visible resources in moto, resolving the template's references."""
    refs: dict[str, str] = dict(provisioned.physical_ids)
    attributes: dict[tuple[str, str], str] = {}
    iam, sqs = cloud.client("iam"), cloud.client("sqs")
    for logical_id, role in stack.resources("AWS::IAM::Role").items():
        created = iam.create_role(
            RoleName=f"{stack_name}-{logical_id}"[:64],
            AssumeRolePolicyDocument=json.dumps(role["Properties"]["AssumeRolePolicyDocument"]),
        )["Role"]
        refs[logical_id] = created["RoleName"]
        attributes[(logical_id, "Arn")] = created["Arn"]
    for logical_id in stack.resources("AWS::SQS::Queue"):
        url = sqs.create_queue(QueueName=f"{stack_name}-{logical_id}"[:80])["QueueUrl"]
        refs[logical_id] = url
        attributes[(logical_id, "QueueName")] = url.rsplit("/", 1)[-1]
        attributes[(logical_id, "Arn")] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    resolver = _Resolver(refs, attributes, stack_name)
    function_id, function = stack.monitor_function()
    template = {
        "Resources": {
            function_id: {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": function["Properties"]["Handler"],
                    "Runtime": function["Properties"]["Runtime"],
                    "Timeout": provisioned.timeout_seconds,
                    "MemorySize": function["Properties"].get("MemorySize", 128),
                    "Role": resolver.resolve(function["Properties"]["Role"], where=function_id),
                    "Code": {"ZipFile": _PLACEHOLDER_CODE},
                    "Environment": {"Variables": provisioned.environment},
                },
            }
        }
    }
    cloudformation = cloud.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    [resource] = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    configuration = cloud.client("lambda").get_function_configuration(
        FunctionName=resource["PhysicalResourceId"]
    )
    refs[function_id] = configuration["FunctionName"]
    attributes[(function_id, "Arn")] = configuration["FunctionArn"]

    cloudwatch = cloud.client("cloudwatch")
    alarm_names = []
    for logical_id, alarm in stack.resources("AWS::CloudWatch::Alarm").items():
        properties = resolver.resolve(alarm["Properties"], where=logical_id)
        name = properties.get("AlarmName") or f"{stack_name}-{logical_id}"
        cloudwatch.put_metric_alarm(
            AlarmName=name, **{k: properties[k] for k in _ALARM_KEYS if k in properties}
        )
        alarm_names.append(name)
        attributes[(logical_id, "Arn")] = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{name}"

    scheduler = cloud.client("scheduler")
    schedule_names = []
    for logical_id, schedule in stack.resources("AWS::Scheduler::Schedule").items():
        properties = resolver.resolve(schedule["Properties"], where=logical_id)
        name = properties.pop("Name", None) or f"{stack_name}-{logical_id}"[:64]
        scheduler.create_schedule(Name=name, **properties)
        schedule_names.append(name)

    sns = cloud.client("sns")
    for logical_id, policy in stack.resources("AWS::SNS::TopicPolicy").items():
        properties = resolver.resolve(policy["Properties"], where=logical_id)
        for topic_arn in properties["Topics"]:
            sns.set_topic_attributes(
                TopicArn=topic_arn,
                AttributeName="Policy",
                AttributeValue=json.dumps(properties["PolicyDocument"]),
            )
    for logical_id, subscription in stack.resources("AWS::SNS::Subscription").items():
        properties = resolver.resolve(subscription["Properties"], where=logical_id)
        attributes_ = (
            {"FilterPolicy": json.dumps(properties["FilterPolicy"])} if "FilterPolicy" in properties else {}
        )
        sns.subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            Attributes=attributes_,
        )
    return LocalDeployment(
        stack_name=stack_name,
        function_name=configuration["FunctionName"],
        function_arn=configuration["FunctionArn"],
        alarm_names=alarm_names,
        schedule_names=schedule_names,
    )


class _Resolver:
    """Ref, Fn::GetAtt, Fn::Join and Fn::Sub over what was created; anything else is a sandbox error."""

    def __init__(
        self, refs: Mapping[str, str], attributes: Mapping[tuple[str, str], str], stack_name: str
    ) -> None:
        self._refs = refs
        self._pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
        }
        self._attributes = attributes

    def resolve(self, value: Any, *, where: str) -> Any:
        if isinstance(value, list):
            return [self.resolve(item, where=where) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._ref(value["Ref"], where)
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            if (logical_id, attribute) not in self._attributes:
                raise SandboxError(f"{where}: cannot resolve Fn::GetAtt {logical_id}.{attribute}")
            return self._attributes[(logical_id, attribute)]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(part, where=where)) for part in parts)
        if set(value) == {"Fn::Sub"}:
            text, variables = (
                (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            )
            local = {name: self.resolve(item, where=where) for name, item in variables.items()}
            return _SUB_VARIABLE.sub(
                lambda match: str(local.get(match.group(1)) or self._sub(match.group(1), where)), text
            )
        if any(key.startswith("Fn::") for key in value):
            raise SandboxError(f"{where}: cannot resolve {json.dumps(value)[:200]}")
        return {key: self.resolve(item, where=where) for key, item in value.items()}

    def _ref(self, name: str, where: str) -> str:
        found = self._refs.get(name) or self._pseudo.get(name)
        if found is None:
            raise SandboxError(f"{where}: cannot resolve Ref {name}")
        return found

    def _sub(self, name: str, where: str) -> str:
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical_id, attribute]}, where=where)
        return self._ref(name, where)
