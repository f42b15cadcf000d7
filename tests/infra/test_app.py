"""The app as a user runs it: ``python app.py`` with context, cdk-nag, cfn-lint, clear config errors."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import lint_file

from app import build
from infra.config import ConfigError, MonitorProps, props_from_context
from local.sandbox import ROOT, SandboxError, SynthesizedStack, cli_context, synthesize

pytestmark = pytest.mark.slow

CONTEXT = {
    "notify_emails": "ml-team@example.com,oncall@example.com",
    "email_statuses": "FAILED,STOPPED",
    "slack_webhook_secret_name": "jobwatch/slack",
    "schedule": "10",
    "objective": "throughput",
}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStack:
    return synthesize(CONTEXT, tmp_path_factory.mktemp("app") / "cdk.out")


def test_python_app_py_honours_context_given_the_way_the_cdk_cli_gives_it(
    synthesized: SynthesizedStack,
) -> None:
    [schedule] = synthesized.resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(10 minutes)"
    _, function = synthesized.monitor_function()
    assert function["Properties"]["Environment"]["Variables"]["RANKING_OBJECTIVE"] == "throughput"
    filters = [
        sub["Properties"].get("FilterPolicy")
        for sub in synthesized.resources("AWS::SNS::Subscription").values()
        if sub["Properties"]["Endpoint"] != "ops@example.com"
    ]
    assert {"status": ["FAILED", "STOPPED"]} in filters


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: SynthesizedStack) -> None:
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    violations = [
        (violation["ruleName"], [c["constructPath"] for c in violation["violatingConstructs"]])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    ]
    assert violations == []
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])


def test_cdk_nag_does_fail_on_a_new_finding() -> None:
    """The check above can fail: an unencrypted, TLS-optional queue added to the app breaks synthesis."""
    app = cdk.App(context=cli_context(CONTEXT))
    stack = build(app)
    sqs.Queue(stack, "CarelessQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS2"):
        app.synth()


def _cfn_lint_errors(template: Path) -> list[str]:
    return [str(match) for match in lint_file(template) if match.rule.id.startswith("E")]


def test_cfn_lint_finds_no_error(synthesized: SynthesizedStack) -> None:
    [template] = synthesized.outdir.glob("*.template.json")
    assert _cfn_lint_errors(template) == []


def test_cfn_lint_does_find_an_error(tmp_path: Path) -> None:
    """The check above can fail (run as a module, cfn-lint 1.x only said it has no __main__)."""
    template = tmp_path / "broken.template.json"
    template.write_text(
        json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Bogus": 1}}}})
    )
    assert [error for error in _cfn_lint_errors(template) if "E3002" in error]


def test_bad_context_is_a_clear_error_at_synth_time(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="notify_emails: 'not-an-address' is not an email address"):
        synthesize({"notify_emails": "not-an-address"}, tmp_path / "cdk.out")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({}, "no channel configured"),
        ({"notify_emails": "a@example.com", "schedule": "every day"}, "schedule:"),
        ({"notify_emails": "a@example.com", "schedule": "rate(0 minutes)"}, "schedule:"),
        ({"notify_emails": "a@example.com", "schedule": "rate(1 minutes)"}, "schedule:"),
        ({"slack_webhook_secret_name": " "}, "slack_webhook_secret_name: is empty"),
        ({"notify_emails": "a@example.com", "objective": "speed"}, "objective:"),
        ({"notify_emails": "a@example.com", "top_n": "11"}, "top_n:"),
        ({"notify_emails": "a@example.com", "email_statuses": "DONE"}, "email_statuses:"),
        ({"notify_emails": "a@example.com", "job_names": "bad name!"}, "job_names:"),
        ({"notify_emails": "a@example.com", "discover_jobs": "false"}, "discover_jobs:"),
        ({"notify_emails": "a@example.com", "notify_started": "perhaps"}, "notify_started:"),
        (
            {"slack_webhook_secret_name": "jobwatch/slack"},
            "alarm_emails: the operations alarms would email no one",
        ),
        ({"slack_webhook_secret_name": "jobwatch/slack", "alarm_emails": ""}, "alarm_emails: is empty"),
        ({"notify_emails": "a@example.com", "name_contains": ""}, "name_contains: is empty"),
        ({"notify_emails": "a@example.com", "kms_key": "alias/jobwatch"}, "kms_key: must be a KMS key ARN"),
        (
            {
                "notify_emails": "a@example.com",
                "slack_bot_token_secret_name": "b",
                "slack_channel": "C0123ABCDEF",
                "slack_routes": "bert-*",
            },
            r"slack_routes: 'bert-\*' is not a rule of the form pattern=channelID",
        ),
    ],
)
def test_each_bad_key_is_named(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        props_from_context(context)


def test_context_values_from_cdk_json_may_be_native_types() -> None:
    props = props_from_context(
        {
            "notify_emails": ["a@example.com"],
            "top_n": 4,
            "chatbot_format": True,
            "schedule": "rate(1 minute)",
        }
    )
    assert props == MonitorProps(
        notify_emails=("a@example.com",), top_n=4, chatbot_format=True, schedule="rate(1 minute)"
    )


def test_cdk_json_runs_the_app_and_documents_defaults() -> None:
    settings = json.loads((ROOT / "cdk.json").read_text())
    assert settings["app"] == "python3 app.py"
    defaults = props_from_context({"notify_emails": "a@example.com", **settings["context"]})
    assert defaults.schedule == MonitorProps(notify_emails=("a@example.com",)).schedule


def test_alarms_that_email_no_one_are_an_explicit_choice() -> None:
    """A Slack-only deployment must say alarm_emails=none; then no alarm subscription is made."""
    props = props_from_context({"slack_webhook_secret_name": "jobwatch/slack", "alarm_emails": "None"})
    assert props.alarm_emails == ()
    assert props.alarm_addresses == ()
    oncall = props_from_context(
        {"slack_webhook_secret_name": "jobwatch/slack", "alarm_emails": "oncall@example.com"}
    )
    assert oncall.alarm_addresses == ("oncall@example.com",)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("notify_email", "notify_emails"),
        ("slack_webhook_secret", "slack_webhook_secret_name"),
        ("alarm-emails", "alarm_emails"),
        ("Schedule", "schedule"),
        ("stackname", "stack_name"),
    ],
)
def test_an_unknown_context_key_is_refused_with_the_nearest_known_one(typo: str, suggestion: str) -> None:
    with pytest.raises(
        ConfigError, match=f"^{typo}: is not a jobwatch context key; did you mean {suggestion}\\?"
    ):
        props_from_context({"notify_emails": "a@example.com", typo: "x"})


def test_an_unknown_key_far_from_every_known_one_is_refused_without_a_guess() -> None:
    with pytest.raises(ConfigError, match=r"^colour: is not a jobwatch context key \(the README"):
        props_from_context({"notify_emails": "a@example.com", "colour": "blue"})


def test_the_context_the_cdk_cli_itself_adds_is_not_mistaken_for_a_typo() -> None:
    """Feature flags, aws:cdk:* settings, lookups and notices acknowledgments belong to CDK."""
    context = cli_context({"notify_emails": "a@example.com"}) | {
        "aws:cdk:version-reporting": False,
        "aws:cdk:bundling-stacks": ["**"],
        "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"],
        "ssm:account=123456789012:parameterName=/x:region=eu-west-1": "y",
        "acknowledged-issue-numbers": [12345],
        "cli-telemetry": False,
    }
    assert props_from_context(context).notify_emails == ("a@example.com",)


def test_a_typo_in_cdk_json_stops_python_app_py(tmp_path: Path) -> None:
    with pytest.raises(
        SandboxError, match="notify_email: is not a jobwatch context key; did you mean notify_emails"
    ):
        synthesize({"notify_email": "a@example.com", "slack_webhook_secret_name": "s"}, tmp_path / "cdk.out")


def test_outputs_keep_their_names_and_the_dashboard_url_follows_the_partition(
    synthesized: SynthesizedStack,
) -> None:
    """Tools find the deployment through these outputs; the console host differs per partition."""
    outputs = synthesized.template["Outputs"]
    assert set(outputs) == {
        "TopicArn",
        "TableName",
        "FunctionName",
        "DeadLetterQueueUrl",
        "AlarmTopicArn",
        "DashboardName",
        "DashboardUrl",
    }
    hosts = synthesized.template["Mappings"]["ConsoleHosts"]
    partitions = json.loads((ROOT / "cdk.json").read_text())["context"]["@aws-cdk/core:target-partitions"]
    assert set(partitions) <= set(hosts)
    assert hosts["aws"] == {"host": "console.aws.amazon.com"}
    assert hosts["aws-cn"] == {"host": "console.amazonaws.cn"}
    url = outputs["DashboardUrl"]["Value"]["Fn::Join"][1]
    assert url[:2] == ["https://", {"Fn::FindInMap": ["ConsoleHosts", {"Ref": "AWS::Partition"}, "host"]}]


@pytest.mark.parametrize(
    "kms_key", ["create", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
)
def test_cdk_nag_accepts_every_option_together(kms_key: str) -> None:
    """kms_key, a Slack key, a layer ARN and reserved concurrency add no unacknowledged finding."""
    app = cdk.App(
        context=cli_context(
            {
                **CONTEXT,
                "kms_key": kms_key,
                "slack_secret_kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "powertools_layer_arn": "arn:aws:lambda:eu-west-1:111122223333:layer:Powertools:3",
                "reserved_concurrency": "1",
            }
        )
    )
    build(app)
    app.synth()  # raises on any unacknowledged cdk-nag finding
