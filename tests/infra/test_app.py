"""The app as a user runs it: ``python app.py`` with context, cdk-nag, cfn-lint, clear config errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

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


def test_cfn_lint_finds_no_error(synthesized: SynthesizedStack) -> None:
    [template] = synthesized.outdir.glob("*.template.json")
    result = subprocess.run(
        [sys.executable, "-m", "cfnlint", "--format", "parseable", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert errors == []
    assert result.returncode & 2 == 0, result.stdout  # bit 2: errors; warnings (bit 4) are reported above


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
    ],
)
def test_each_bad_key_is_named(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        props_from_context(context.get)


def test_context_values_from_cdk_json_may_be_native_types() -> None:
    props = props_from_context(
        {
            "notify_emails": ["a@example.com"],
            "top_n": 4,
            "chatbot_format": True,
            "schedule": "rate(1 minute)",
        }.get
    )
    assert props == MonitorProps(
        notify_emails=("a@example.com",), top_n=4, chatbot_format=True, schedule="rate(1 minute)"
    )


def test_cdk_json_runs_the_app_and_documents_defaults() -> None:
    settings = json.loads((ROOT / "cdk.json").read_text())
    assert settings["app"] == "python3 app.py"
    defaults = props_from_context({"notify_emails": "a@example.com", **settings["context"]}.get)
    assert defaults.schedule == MonitorProps(notify_emails=("a@example.com",)).schedule
