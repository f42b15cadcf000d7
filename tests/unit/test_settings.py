"""Settings fail fast, naming the variable, instead of failing mid-tick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from job_monitor.domain import AI_RECOMMENDATION, COMPLETED, INFERENCE_RECOMMENDER, JobKey, JobReport, Origin
from job_monitor.settings import Settings, SettingsError, log_level

BASE = {
    "STATE_TABLE_NAME": "state",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "AWS_REGION": "eu-west-1",
}


def test_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert settings.channels == ("email",)
    assert settings.objective == "cost"
    assert settings.top_recommendations == 3
    assert settings.discover_jobs
    assert not settings.notify_started
    assert settings.region == "eu-west-1"


def test_both_channels_and_names() -> None:
    settings = Settings.from_env({**BASE, "SLACK_WEBHOOK_SECRET_NAME": "s", "JOB_NAMES": " a, b ,a,, "})
    assert settings.channels == ("email", "slack")
    assert settings.job_names == (JobKey(INFERENCE_RECOMMENDER, "a"), JobKey(INFERENCE_RECOMMENDER, "b"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STATE_TABLE_NAME": ""}, "STATE_TABLE_NAME is required"),
        ({"TOPIC_ARN": ""}, "no channel configured"),
        ({"RANKING_OBJECTIVE": "speed"}, "RANKING_OBJECTIVE must be one of"),
        ({"TOP_RECOMMENDATIONS": "0"}, "TOP_RECOMMENDATIONS must be between 1 and 10"),
        ({"TOP_RECOMMENDATIONS": "three"}, "TOP_RECOMMENDATIONS must be a whole number"),
        ({"NOTIFY_STARTED": "maybe"}, "NOTIFY_STARTED must be true or false"),
        ({"DISCOVER_JOBS": "false"}, "nothing to watch"),
        ({"TOPIC_ARN": "summaries"}, "TOPIC_ARN must be an SNS topic ARN"),
        ({"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"}, "TOPIC_ARN must be an SNS topic ARN"),
        ({"TOPIC_ARN": "arn:aws:sns:us-east-1:1234:t"}, "TOPIC_ARN must be an SNS topic ARN"),
        ({"TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t.fifo"}, "TOPIC_ARN names a FIFO topic"),
        ({"NAME_CONTAINS": "my_sweep"}, "NAME_CONTAINS must be letters, digits and hyphens"),
        ({"NAME_CONTAINS": "a" * 64}, "NAME_CONTAINS must be letters, digits and hyphens"),
        ({"JOB_NAMES": "good,bad_name"}, "JOB_NAMES: 'bad_name' is not a valid job name"),
        ({"JOB_NAMES": "-leading"}, "JOB_NAMES: '-leading' is not a valid job name"),
        ({"JOB_NAMES": "a" * 65}, "is not a valid job name"),
        ({"JOB_NAMES": "ai-recommendation/" + "a" * 64}, "is not a valid job name for ai-recommendation"),
        ({"JOB_NAMES": "training/x"}, "JOB_NAMES: 'training/x' names an unknown kind 'training'"),
        ({"JOB_KINDS": "inference-recommender,training"}, "JOB_KINDS must list some of"),
        (
            {"JOB_KINDS": "inference-recommender", "JOB_NAMES": "ai-recommendation/llama"},
            "JOB_NAMES names jobs of a kind JOB_KINDS leaves out: ai-recommendation/llama",
        ),
        ({"SLACK_WEBHOOK_SECRET_NAME": "jobwatch slack"}, "SLACK_WEBHOOK_SECRET_NAME must be a secret name"),
        ({"SLACK_WEBHOOK_SECRET_NAME": "a" * 513}, "SLACK_WEBHOOK_SECRET_NAME must be a secret name"),
        (
            {"SLACK_WEBHOOK_SECRET_NAME": "arn:aws:s3:::bucket"},
            "SLACK_WEBHOOK_SECRET_NAME must be a secret name",
        ),
        (
            {"LOG_LEVEL": "verbose"},
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'verbose'",
        ),
        ({"POWERTOOLS_LOG_LEVEL": "loud"}, "POWERTOOLS_LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, **overrides})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:jobwatch-Summaries_1"),
        ("TOPIC_ARN", "arn:aws-cn:sns:cn-north-1:123456789012:t"),
        ("TOPIC_ARN", "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t"),
        ("TOPIC_ARN", "arn:aws-iso-b:sns:us-isob-east-1:123456789012:t"),
        ("NAME_CONTAINS", "bert-Sweep-2"),
        ("NAME_CONTAINS", "a" * 63),
        ("JOB_NAMES", "bert-prod-sizing,a,A1--b"),
        ("SLACK_WEBHOOK_SECRET_NAME", "jobwatch/slack_+=.@-1"),
        (
            "SLACK_WEBHOOK_SECRET_NAME",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jobwatch/slack-AbCdEf",
        ),
        ("SLACK_WEBHOOK_SECRET_NAME", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:s-AbCdEf"),
        ("LOG_LEVEL", "debug"),
        ("LOG_LEVEL", "WARNING"),
    ],
)
def test_good_values_pass(variable: str, value: str) -> None:
    Settings.from_env({**BASE, variable: value})


def test_the_log_level_is_checked_before_the_logger_reads_it() -> None:
    assert log_level({"LOG_LEVEL": "debug"}) == "DEBUG"
    assert log_level({"POWERTOOLS_LOG_LEVEL": "error", "LOG_LEVEL": "debug"}) == "ERROR"
    assert log_level({}) == "INFO"
    with pytest.raises(SettingsError, match="LOG_LEVEL must be one of"):
        log_level({"LOG_LEVEL": "verbose"})


def test_an_unknown_log_level_fails_the_handler_import_naming_the_variable() -> None:
    lambdas = Path(__file__).resolve().parents[2] / "lambdas"
    result = subprocess.run(
        [sys.executable, "-c", "import job_monitor.handler"],
        env={**os.environ, "PYTHONPATH": str(lambdas), "LOG_LEVEL": "verbose"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SettingsError: LOG_LEVEL must be one of" in result.stderr


def test_job_kinds_default_to_both_and_job_names_name_their_kind() -> None:
    settings = Settings.from_env(
        {**BASE, "SLACK_WEBHOOK_SECRET_NAME": "s", "JOB_NAMES": "bert-sizing,ai-recommendation/llama-sizing"}
    )
    assert settings.job_kinds == (INFERENCE_RECOMMENDER, AI_RECOMMENDATION)
    assert settings.job_names == (
        JobKey(INFERENCE_RECOMMENDER, "bert-sizing"),
        JobKey(AI_RECOMMENDATION, "llama-sizing"),
    )
    only_ai = Settings.from_env(
        {**BASE, "SLACK_WEBHOOK_SECRET_NAME": "s", "JOB_KINDS": " ai-recommendation "}
    )
    assert only_ai.job_kinds == (AI_RECOMMENDATION,)


APP = {"SLACK_BOT_TOKEN_SECRET_NAME": "jobwatch/slack-bot", "SLACK_CHANNEL": "C0123ABCDEF"}


def test_slack_app_mode_routes_and_api_url() -> None:
    settings = Settings.from_env(
        {**BASE, **APP, "SLACK_ROUTES": "222222222222/eu-west-1/*=C0MEMBER001,bert-*=C0BERT0TEAM"}
    )
    assert settings.channels == ("email", "slack")
    assert settings.slack_router is not None
    routed = {
        (name, origin.account): settings.slack_router.channel_for(
            JobReport(name=name, status=COMPLETED, region="eu-west-1", origin=origin)
        )
        for name in ("bert-1", "t5")
        for origin in (Origin(), Origin("222222222222", ""))
    }
    assert routed == {
        ("bert-1", ""): "C0BERT0TEAM",
        ("t5", ""): "C0123ABCDEF",
        ("bert-1", "222222222222"): "C0MEMBER001",
        ("t5", "222222222222"): "C0MEMBER001",
    }
    assert settings.slack_api_url == "https://slack.com/api/"
    local = Settings.from_env({**BASE, **APP, "SLACK_API_URL": "http://127.0.0.1:8080/api/"})
    assert local.slack_api_url == "http://127.0.0.1:8080/api/"
    assert Settings.from_env(BASE).slack_router is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {**APP, "SLACK_WEBHOOK_SECRET_NAME": "s"},
            "SLACK_WEBHOOK_SECRET_NAME and SLACK_BOT_TOKEN_SECRET_NAME are both set",
        ),
        ({"SLACK_BOT_TOKEN_SECRET_NAME": "s"}, "SLACK_CHANNEL is required with SLACK_BOT_TOKEN_SECRET_NAME"),
        ({"SLACK_CHANNEL": "C0123ABCDEF"}, "SLACK_CHANNEL and SLACK_ROUTES are for Slack's app mode"),
        ({**APP, "SLACK_CHANNEL": "#ml"}, "SLACK_CHANNEL must be a Slack channel ID"),
        ({**APP, "SLACK_ROUTES": "bert-*=ml"}, r"SLACK_ROUTES: 'bert-\*=ml': 'ml' is not a Slack channel ID"),
        (
            {**APP, "SLACK_ROUTES": "prod/*/*=C0PROD00001"},
            r"SLACK_ROUTES: 'prod/\*/\*=C0PROD00001': the account part 'prod' of 'prod/\*/\*' may hold only digits",
        ),
        ({**APP, "SLACK_BOT_TOKEN_SECRET_NAME": "a b"}, "SLACK_BOT_TOKEN_SECRET_NAME must be a secret name"),
        ({**APP, "SLACK_API_URL": "http://slack.example.com/api/"}, "SLACK_API_URL must use https://"),
        ({**APP, "SLACK_API_URL": "https://user:pw@slack.com/api/"}, "SLACK_API_URL must not contain a user"),
    ],
)
def test_slack_app_mode_refuses_what_would_fail_every_tick(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, **overrides})
