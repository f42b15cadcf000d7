"""The JobStatusMonitor construct, built in a bare stack and checked with aws_cdk.assertions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import job_monitor.settings as settings_module
import pytest
from aws_cdk.assertions import Match, Template
from job_monitor.settings import Settings

from infra.config import MonitorProps
from infra.monitor import POWERTOOLS_LAYER_PARAMETER, JobStatusMonitor

pytestmark = pytest.mark.slow

PROPS = MonitorProps(
    notify_emails=("ml-team@example.com", "oncall@example.com"),
    email_statuses=("FAILED",),
    slack_webhook_secret_name="jobwatch/slack",
    name_contains="sweep",
    job_names=("important-job",),
    objective="latency",
    top_n=5,
    chatbot_format=True,
    notify_started=True,
    alarm_emails=("ops@example.com",),
)


def build(props: MonitorProps) -> Template:
    stack = cdk.Stack(cdk.App(), "Bare")
    JobStatusMonitor(stack, "Monitor", props=props)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    return build(PROPS)


def function_properties(template: Template) -> dict:
    [function] = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "job_monitor.handler.handler"}}
    ).values()
    return function["Properties"]


def test_function_is_arm64_current_python_with_powertools_layer_and_no_bundling(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "job_monitor.handler.handler",
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Timeout": 120,
            "MemorySize": 512,
            "TracingConfig": {"Mode": "Active"},
            "DeadLetterConfig": {"TargetArn": Match.any_value()},
        },
    )
    [layer] = function_properties(template)["Layers"]
    parameter = template.to_json()["Parameters"][layer["Ref"]]
    assert parameter == {"Type": "AWS::SSM::Parameter::Value<String>", "Default": POWERTOOLS_LAYER_PARAMETER}
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0})


def test_every_setting_reaches_the_function_through_its_environment(template: Template) -> None:
    variables = function_properties(template)["Environment"]["Variables"]
    assert variables["SLACK_WEBHOOK_SECRET_NAME"] == "jobwatch/slack"
    assert variables["NAME_CONTAINS"] == "sweep"
    assert variables["JOB_NAMES"] == "important-job"
    assert variables["RANKING_OBJECTIVE"] == "latency"
    assert variables["TOP_RECOMMENDATIONS"] == "5"
    assert variables["CHATBOT_FORMAT"] == "true"
    assert variables["NOTIFY_STARTED"] == "true"
    assert "Ref" in variables["STATE_TABLE_NAME"]
    assert "Ref" in variables["TOPIC_ARN"]


def test_environment_names_are_the_ones_the_function_reads(template: Template) -> None:
    """A rename on either side of infra/ and lambdas/ fails here."""
    variables = function_properties(template)["Environment"]["Variables"]
    read_by_settings = set(re.findall(r'"([A-Z][A-Z_]+)"', Path(settings_module.__file__).read_text()))
    read_by_powertools = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
    assert set(variables) - read_by_powertools <= read_by_settings

    resolved = {
        name: value if isinstance(value, str) else "from-a-reference" for name, value in variables.items()
    }
    settings = Settings.from_env(resolved)
    assert settings.channels == ("email", "slack")
    assert settings.job_names == ("important-job",)
    assert settings.top_recommendations == 5


def test_state_table_is_on_demand_recoverable_encrypted_with_ttl_and_both_indexes(template: Template) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "GlobalSecondaryIndexes": Match.array_with(
                [
                    Match.object_like({"IndexName": "outbox-index"}),
                    Match.object_like({"IndexName": "active-index"}),
                ]
            ),
        },
    )
    template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})


def test_state_table_matches_the_schema_the_tests_use(template: Template) -> None:
    from tests.support.tables import STATE_TABLE_SCHEMA

    [table] = template.find_resources("AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert properties["KeySchema"] == STATE_TABLE_SCHEMA["KeySchema"]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        STATE_TABLE_SCHEMA["AttributeDefinitions"], key=str
    )
    indexes = {index["IndexName"]: index["KeySchema"] for index in properties["GlobalSecondaryIndexes"]}
    assert indexes == {
        index["IndexName"]: index["KeySchema"] for index in STATE_TABLE_SCHEMA["GlobalSecondaryIndexes"]
    }


def test_topics_are_encrypted_and_tls_only(template: Template) -> None:
    topics = template.find_resources("AWS::SNS::Topic")
    assert len(topics) == 2
    for topic in topics.values():
        assert "KmsMasterKeyId" in topic["Properties"]
    policies = json.dumps(template.find_resources("AWS::SNS::TopicPolicy"))
    assert '"aws:SecureTransport": "false"' in policies
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_one_email_subscription_per_address_filtered_on_status(template: Template) -> None:
    subscriptions = template.find_resources("AWS::SNS::Subscription", {"Properties": {"Protocol": "email"}})
    by_address = {sub["Properties"]["Endpoint"]: sub["Properties"] for sub in subscriptions.values()}
    assert set(by_address) == {"ml-team@example.com", "oncall@example.com", "ops@example.com"}
    assert by_address["ml-team@example.com"]["FilterPolicy"] == {"status": ["FAILED"]}
    assert by_address["oncall@example.com"]["FilterPolicy"] == {"status": ["FAILED"]}
    assert "FilterPolicy" not in by_address["ops@example.com"]


def test_no_filter_without_email_statuses() -> None:
    template = build(MonitorProps(notify_emails=("a@example.com",)))
    for subscription in template.find_resources("AWS::SNS::Subscription").values():
        assert "FilterPolicy" not in subscription["Properties"]
    assert "SLACK_WEBHOOK_SECRET_NAME" not in function_properties(template)["Environment"]["Variables"]


def test_schedule_invokes_the_function_every_five_minutes_with_short_retries(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "rate(5 minutes)",
            "State": "ENABLED",
            "Target": {
                "RetryPolicy": {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2},
                "DeadLetterConfig": {"Arn": Match.any_value()},
            },
        },
    )


def test_least_privilege_iam(template: Template) -> None:
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        action
        for statement in statements
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    sagemaker = {action for action in actions if action.startswith("sagemaker:")}
    assert sagemaker == {
        "sagemaker:ListInferenceRecommendationsJobs",
        "sagemaker:DescribeInferenceRecommendationsJob",
    }
    assert not any(action.endswith(":*") or action == "*" for action in actions)
    secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    assert len(secret_statements) == 1
    assert "secret:jobwatch/slack-??????" in json.dumps(secret_statements[0]["Resource"])
    describe = [s for s in statements if s["Action"] == "sagemaker:DescribeInferenceRecommendationsJob"]
    assert "inference-recommendations-job/*" in json.dumps(describe[0]["Resource"])


def test_no_secret_value_anywhere(template: Template) -> None:
    text = json.dumps(template.to_json())
    assert "hooks.slack.com" not in text
    assert "webhook_url" not in text
    assert not template.find_resources("AWS::SecretsManager::Secret")


def test_operations_alarms_and_dead_letter_queue(template: Template) -> None:
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    metric_names = {alarm["Properties"].get("MetricName") for alarm in alarms.values()}
    assert {
        "Errors",
        "NotificationsFailed",
        "NotificationsAbandoned",
        "TickErrors",
        "ApproximateNumberOfMessagesVisible",
    } <= metric_names
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"], "every alarm notifies the operations topic"
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "TickErrors", "Namespace": "jobwatch", "Period": 3600, "Threshold": 3},
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600}
    )


def test_reserved_concurrency_is_opt_in(template: Template) -> None:
    assert "ReservedConcurrentExecutions" not in function_properties(template)
    guarded = build(MonitorProps(notify_emails=("a@example.com",), reserved_concurrency=1))
    assert function_properties(guarded)["ReservedConcurrentExecutions"] == 1
