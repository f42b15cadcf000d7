"""The JobStatusMonitor construct, built in a bare stack and checked with aws_cdk.assertions."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import job_monitor.settings as settings_module
import pytest
from aws_cdk.assertions import Match, Template
from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    HOME,
    INFERENCE_RECOMMENDER,
    JobKey,
    JobReport,
    Origin,
)
from job_monitor.settings import Settings

from infra.config import MonitorProps
from infra.monitor import POWERTOOLS_LAYER_PARAMETER, JobStatusMonitor

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DYNAMODB_ADAPTER = (
    Path(__file__).resolve().parents[2] / "lambdas" / "job_monitor" / "adapters" / "dynamodb_state.py"
)

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

    # A reference resolves at deploy time; stand in a value of the shape it will have.
    standins = {"TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:from-a-reference"}
    resolved = {
        name: value if isinstance(value, str) else standins.get(name, "from-a-reference")
        for name, value in variables.items()
    }
    settings = Settings.from_env(resolved)
    assert settings.channels == ("email", "slack")
    assert settings.job_names == (JobKey(INFERENCE_RECOMMENDER, "important-job"),)
    assert settings.job_kinds == (INFERENCE_RECOMMENDER, AI_RECOMMENDATION)
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


def role_statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_least_privilege_iam(template: Template) -> None:
    statements = role_statements(template)
    actions = {action for statement in statements for action in actions_of(statement)}
    sagemaker = {action for action in actions if action.startswith("sagemaker:")}
    assert sagemaker == {
        "sagemaker:ListInferenceRecommendationsJobs",
        "sagemaker:ListInferenceRecommendationsJobSteps",
        "sagemaker:DescribeInferenceRecommendationsJob",
        "sagemaker:ListAIRecommendationJobs",
        "sagemaker:DescribeAIRecommendationJob",
    }
    assert not any(action.endswith(":*") or action == "*" for action in actions)
    secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    assert len(secret_statements) == 1
    assert "secret:jobwatch/slack-??????" in json.dumps(secret_statements[0]["Resource"])
    assert {action for action in actions if action.startswith("secretsmanager:")} == {
        "secretsmanager:GetSecretValue"
    }
    describe = [s for s in statements if s["Action"] == "sagemaker:DescribeInferenceRecommendationsJob"]
    assert "inference-recommendations-job/*" in json.dumps(describe[0]["Resource"])
    [describe_ai] = [s for s in statements if s["Action"] == "sagemaker:DescribeAIRecommendationJob"]
    assert json.dumps(describe_ai["Resource"]).endswith(':ai-recommendation-job/*"]]}')


def test_a_kind_left_out_of_job_kinds_gets_no_permission() -> None:
    stack = cdk.Stack(cdk.App(), "OnlyAI")
    JobStatusMonitor(
        stack,
        "Monitor",
        props=MonitorProps(notify_emails=("ml@example.com",), job_kinds=("ai-recommendation",)),
    )
    template = Template.from_stack(stack)
    actions = {action for statement in role_statements(template) for action in actions_of(statement)}
    assert {action for action in actions if action.startswith("sagemaker:")} == {
        "sagemaker:ListAIRecommendationJobs",
        "sagemaker:DescribeAIRecommendationJob",
    }
    assert function_properties(template)["Environment"]["Variables"]["JOB_KINDS"] == "ai-recommendation"


def _dynamodb_calls_in_the_adapter() -> set[str]:
    """The IAM actions of every DynamoDB client method the state adapter calls (paginators included)."""
    source = DYNAMODB_ADAPTER.read_text()
    methods = set(re.findall(r"self\._client\.(\w+)\(", source)) - {"get_paginator"}
    methods |= set(re.findall(r'get_paginator\(\s*"(\w+)"', source))
    return {"dynamodb:" + "".join(part.title() for part in method.split("_")) for method in methods}


def test_the_function_may_make_exactly_the_dynamodb_calls_its_code_makes(template: Template) -> None:
    """If the adapter starts calling something new, this names the grant to add in infra/monitor.py."""
    called = _dynamodb_calls_in_the_adapter()
    assert called == {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
    }
    by_resource = {
        json.dumps(statement["Resource"]): set(actions_of(statement))
        for statement in role_statements(template)
        if any(action.startswith("dynamodb:") for action in actions_of(statement))
    }
    assert set().union(*by_resource.values()) == called
    index_statements = [actions for resource, actions in by_resource.items() if "/index/*" in resource]
    assert index_statements == [{"dynamodb:Query"}], "the function only queries the two GSIs"


def test_logs_go_to_the_stacks_own_log_group_not_a_managed_policy_on_every_group(template: Template) -> None:
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    [log_group_id] = template.find_resources("AWS::Logs::LogGroup")
    logs = [s for s in role_statements(template) if any(a.startswith("logs:") for a in actions_of(s))]
    assert [(sorted(actions_of(s)), s["Resource"]) for s in logs] == [
        (["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": [log_group_id, "Arn"]})
    ]
    assert function_properties(template)["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}


def test_xray_writes_are_the_only_other_grant_on_every_resource(template: Template) -> None:
    """X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permission."""
    on_everything = sorted(
        action for s in role_statements(template) if s["Resource"] == "*" for action in actions_of(s)
    )
    assert on_everything == [
        "sagemaker:ListAIRecommendationJobs",
        "sagemaker:ListInferenceRecommendationsJobSteps",
        "sagemaker:ListInferenceRecommendationsJobs",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]


THIS_ACCOUNTS_ALARMS = {
    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":cloudwatch:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    ":alarm:*",
                ],
            ]
        }
    },
}


def test_cloudwatch_may_publish_to_the_alarm_topic_for_this_accounts_alarms_only(template: Template) -> None:
    """The topic policy replaces SNS's default one: without this, every alarm action fails."""
    [alarm_topic_id] = template.find_resources(
        "AWS::SNS::Topic", {"Properties": {"DisplayName": "jobwatch alarms"}}
    )
    [policy] = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in template.find_resources("AWS::SNS::TopicPolicy").values()
        if policy["Properties"]["Topics"] == [{"Ref": alarm_topic_id}]
    ]
    allowed = [s for s in policy if s["Effect"] == "Allow"]
    assert allowed == [
        {
            "Sid": "AllowCloudWatchAlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": alarm_topic_id},
            "Condition": THIS_ACCOUNTS_ALARMS,
        }
    ]
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": alarm_topic_id}]


def test_the_key_lets_cloudwatch_encrypt_for_this_accounts_alarms_only(template: Template) -> None:
    [key] = template.find_resources("AWS::KMS::Key").values()
    to_cloudwatch = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert [(s["Action"], s["Condition"]) for s in to_cloudwatch] == [
        (["kms:Decrypt", "kms:GenerateDataKey*"], THIS_ACCOUNTS_ALARMS)
    ]


def test_slack_secret_kms_key_gets_exactly_decrypt_through_secrets_manager() -> None:
    template = build(
        MonitorProps(
            notify_emails=("a@example.com",),
            slack_webhook_secret_name="jobwatch/slack",
            slack_secret_kms_key_arn=KEY_ARN,
        )
    )
    on_the_key = [s for s in role_statements(template) if s["Resource"] == KEY_ARN]
    assert on_the_key == [
        {
            "Sid": "DecryptSlackSecret",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY_ARN,
            "Condition": {
                "StringLike": {
                    "kms:ViaService": {"Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".*"]]}
                }
            },
        }
    ]


def test_powertools_layer_arn_replaces_the_public_parameter() -> None:
    layer = "arn:aws-cn:lambda:cn-north-1:111122223333:layer:Powertools:3"
    template = build(MonitorProps(notify_emails=("a@example.com",), powertools_layer_arn=layer))
    assert function_properties(template)["Layers"] == [layer]
    assert POWERTOOLS_LAYER_PARAMETER not in json.dumps(template.to_json())


def test_no_arn_in_the_template_names_a_partition(template: Template) -> None:
    """Every ARN the stack builds takes AWS::Partition, so it deploys to aws, aws-cn and aws-us-gov alike."""
    text = json.dumps(template.to_json())
    assert not re.search(r'"arn:aws[a-z-]*:', text)
    assert "amazonaws.com.cn" not in text


def test_a_tick_that_keeps_running_out_of_time_raises_an_alarm(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "TickDeferred",
            "Namespace": "jobwatch",
            "Dimensions": [{"Name": "service", "Value": "Bare"}],
            "Statistic": "Sum",
            "Period": 3600,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 3,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    )


def test_an_implausible_job_timestamp_raises_an_alarm(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ImplausibleTimestamps",
            "Namespace": "jobwatch",
            "Dimensions": [{"Name": "service", "Value": "Bare"}],
            "Statistic": "Sum",
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    )


def dashboard_body(template: Template) -> dict[str, Any]:
    """The dashboard's JSON, each reference (always inside a JSON string) replaced by REF."""
    [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "REF" for part in parts))


def test_dashboard_shows_ticks_transitions_each_channel_and_the_alarms(template: Template) -> None:
    widgets = dashboard_body(template)["widgets"]
    graphs = {
        w["properties"]["title"]: w["properties"].get("metrics", []) for w in widgets if w["type"] == "metric"
    }
    metric_names = {title: {m[1] for m in metrics} for title, metrics in graphs.items()}
    assert metric_names["Jobs finished and started"] == {"TransitionsDetected", "JobsStarted"}
    assert metric_names["Tick errors and deferred work"] == {
        "TickErrors",
        "TickDeferred",
        "ImplausibleTimestamps",
    }
    assert metric_names["Tick duration (ms)"] == {"Duration", "Errors"}
    for channel in ("email", "slack"):
        metrics = graphs[f"Notifications: {channel}"]
        assert {m[1] for m in metrics} == {
            "NotificationsSent",
            "NotificationsFailed",
            "NotificationsAbandoned",
        }
        for metric in metrics:  # the dimensions handler.py publishes per channel
            assert metric[0] == "jobwatch"
            assert dict(zip(metric[2:6:2], metric[3:6:2], strict=True)) == {
                "service": "Bare",
                "channel": channel,
            }
    [alarm_widget] = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == len(template.find_resources("AWS::CloudWatch::Alarm"))


def test_two_stacks_in_one_account_watch_their_own_metrics_only() -> None:
    """Staging and production side by side: each function publishes, each alarm watches and each
    dashboard graphs (per-source search included) its own stack's ``service``, so one's errors
    never fire the other's alarms."""
    app = cdk.App()
    stacks = [cdk.Stack(app, name) for name in ("JobwatchStaging", "JobwatchProduction")]
    for stack in stacks:
        JobStatusMonitor(stack, "Monitor", props=replace(PROPS, regions=("us-east-1", "eu-west-1")))
    seen = {}
    for stack in stacks:
        template = Template.from_stack(stack)
        alarms = {
            dimension["Value"]
            for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()
            for dimension in alarm["Properties"].get("Dimensions", [])
            if dimension["Name"] == "service"
        }
        graphed = [
            metric
            for widget in dashboard_body(template)["widgets"]
            for metric in widget["properties"].get("metrics", [])
        ]
        graphs = {metric[metric.index("service") + 1] for metric in graphed if "service" in metric}
        searches = {
            service
            for metric in graphed
            if isinstance(metric[0], dict)
            for service in re.findall(r'service="([^"]+)"', metric[0]["expression"])
        }
        environment = function_properties(template)["Environment"]["Variables"]
        seen[stack.stack_name] = (environment["POWERTOOLS_SERVICE_NAME"], alarms, graphs, searches)

    assert seen == {name: (name, {name}, {name}, {name}) for name in seen}


def test_dashboard_has_no_slack_graph_without_slack() -> None:
    template = build(MonitorProps(notify_emails=("a@example.com",)))
    titles = {w["properties"].get("title") for w in dashboard_body(template)["widgets"]}
    assert "Notifications: email" in titles
    assert "Notifications: slack" not in titles


CHECKOV_FINDINGS = {  # what checkov reported on the default template, by resource type
    "AWS::DynamoDB::Table": {"CKV_AWS_119"},
    "AWS::SQS::Queue": {"CKV_AWS_27"},
    "AWS::Logs::LogGroup": {"CKV_AWS_158"},
    "AWS::Lambda::Function": {"CKV_AWS_117", "CKV_AWS_115", "CKV_AWS_173"},
}


def checkov_skips(template: Template) -> dict[str, dict[str, str]]:
    """Resource type -> {check id: reason} from each resource's Metadata.checkov.skip."""
    found: dict[str, dict[str, str]] = {}
    for resource in template.to_json()["Resources"].values():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found.setdefault(resource["Type"], {})[skip["id"]] = skip["comment"]
    return found


def test_every_checkov_finding_is_acknowledged_with_a_reason_by_default(template: Template) -> None:
    skips = checkov_skips(template)
    assert {kind: set(reasons) for kind, reasons in skips.items()} == CHECKOV_FINDINGS
    for reasons in skips.values():
        for reason in reasons.values():
            assert len(reason) > 40, "a reason a security reviewer can judge"


def test_kms_key_create_encrypts_everything_at_rest_with_one_rotated_key() -> None:
    template = build(MonitorProps(notify_emails=("a@example.com",), kms_key="create", reserved_concurrency=1))
    [key_id] = template.find_resources("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}})
    key = {"Fn::GetAtt": [key_id, "Arn"]}
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}},
    )
    template.has_resource_properties("AWS::SQS::Queue", {"KmsMasterKeyId": key})
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": key})
    assert function_properties(template)["KmsKeyArn"] == key
    for topic in template.find_resources("AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == key
    # the fixed findings are no longer acknowledged; only the VPC one remains, with its reason
    assert {kind: set(reasons) for kind, reasons in checkov_skips(template).items()} == {
        "AWS::Lambda::Function": {"CKV_AWS_117"}
    }
    # CloudWatch Logs may use the key for this account's log groups only
    [key_resource] = template.find_resources("AWS::KMS::Key").values()
    [logs] = [
        s
        for s in key_resource["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"
    ]
    assert "log-group:*" in json.dumps(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert logs["Principal"]["Service"] == {
        "Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]
    }
    # the scheduler writes failed ticks to the encrypted queue
    schedule_policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "ScheduleRole" in json.dumps(p["Properties"]["Roles"])
    ]
    assert "kms:GenerateDataKey*" in json.dumps(schedule_policies)


def test_kms_key_may_name_an_existing_key() -> None:
    template = build(MonitorProps(notify_emails=("a@example.com",), kms_key=KEY_ARN))
    assert not template.find_resources("AWS::KMS::Key")
    assert function_properties(template)["KmsKeyArn"] == KEY_ARN
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": KEY_ARN})
    for topic in template.find_resources("AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == KEY_ARN


def test_infra_modules_import_each_other_without_a_cycle() -> None:
    infra = Path(__file__).resolve().parents[2] / "infra"
    imports = {
        path.stem: {
            node.module.split(".", 1)[1]
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("infra.")
        }
        for path in infra.glob("*.py")
    }

    def reaches(start: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            n == target or (n not in seen and reaches(n, target, seen | {n})) for n in imports.get(start, ())
        )

    assert [module for module in imports if reaches(module, module)] == []


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


APP_PROPS = MonitorProps(
    notify_emails=("ml-team@example.com",),
    slack_bot_token_secret_name="jobwatch/slack-bot",
    slack_channel="C0123ABCDEF",
    slack_routes=(("bert-*", "C0BERT0TEAM"), ("222222222222/*/llama-*", "C0LLAMA0TEAM")),
)


@pytest.fixture(scope="module")
def app_template() -> Template:
    return build(APP_PROPS)


def test_slack_app_mode_reaches_the_function_and_the_settings_read_it(app_template: Template) -> None:
    variables = function_properties(app_template)["Environment"]["Variables"]
    assert variables["SLACK_BOT_TOKEN_SECRET_NAME"] == "jobwatch/slack-bot"
    assert variables["SLACK_CHANNEL"] == "C0123ABCDEF"
    assert variables["SLACK_ROUTES"] == "bert-*=C0BERT0TEAM,222222222222/*/llama-*=C0LLAMA0TEAM"
    assert "SLACK_WEBHOOK_SECRET_NAME" not in variables
    resolved = {
        name: value if isinstance(value, str) else "arn:aws:sns:us-east-1:123456789012:from-a-reference"
        for name, value in variables.items()
        if name != "STATE_TABLE_NAME"
    }
    settings = Settings.from_env({**resolved, "STATE_TABLE_NAME": "from-a-reference"})
    assert settings.channels == ("email", "slack")
    assert settings.slack_router is not None
    member = Origin("222222222222", "")
    routed = {
        (name, origin.account): settings.slack_router.channel_for(
            JobReport(name=name, status=COMPLETED, region="us-east-1", origin=origin)
        )
        for name in ("llama-7b-sweep", "t5-small")
        for origin in (member, HOME)
    }
    assert routed == {
        ("llama-7b-sweep", member.account): "C0LLAMA0TEAM",
        ("llama-7b-sweep", ""): "C0123ABCDEF",
        ("t5-small", member.account): "C0123ABCDEF",
        ("t5-small", ""): "C0123ABCDEF",
    }


def test_slack_app_mode_may_read_only_the_bot_token_secret(app_template: Template) -> None:
    statements = role_statements(app_template)
    secret_statements = [s for s in statements if "secretsmanager" in json.dumps(s["Action"])]
    assert len(secret_statements) == 1
    [statement] = secret_statements
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert "secret:jobwatch/slack-bot-??????" in json.dumps(statement["Resource"])
    text = json.dumps(app_template.to_json())
    assert "xoxb-" not in text
    assert "bot_token" not in text
    assert not app_template.find_resources("AWS::SecretsManager::Secret")
