"""MonitorProps refuses at synth time what AWS would refuse at deploy time (or what would fail later)."""

from __future__ import annotations

import re

import botocore.session
import pytest

from infra.config import ConfigError, MonitorProps, props_from_context

EMAIL = ("ml-team@example.com",)
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def props(**overrides: object) -> MonitorProps:
    return MonitorProps(**{"notify_emails": EMAIL, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(2 days)",
        "cron(0/5 * * * ? *)",
        "cron(*/10 8-18 ? * MON-FRI *)",
        "cron(0 12 1 JAN,JUL ? *)",
        "cron(15 10 L * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0 18 ? * 6L 2027-2030)",
        "cron(0 10 ? * 3#2 *)",
        "cron(0 0 ? * sun *)",
    ],
)
def test_schedules_eventbridge_scheduler_accepts_pass(expression: str) -> None:
    assert props(schedule=expression).schedule == expression


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        # the example: * in both day-of-month and day-of-week
        ("cron(0/5 * * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 1 * MON *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0/5 * * * ?)", "six fields"),
        ("cron(0 0 * * ? * *)", "six fields"),
        ("cron(60 * * * ? *)", "minutes field '60'"),
        ("cron(0 24 * * ? *)", "hours field '24'"),
        ("cron(0 0 32 * ? *)", "day-of-month field '32'"),
        ("cron(0 0 0 * ? *)", "day-of-month field '0'"),
        ("cron(0 0 * 13 ? *)", "month field '13'"),
        ("cron(0 0 * JANUARY ? *)", "month field 'JANUARY'"),
        ("cron(0 0 ? * 8 *)", "day-of-week field '8'"),
        ("cron(0 0 ? * MON/2 *)", "day-of-week field 'MON/2': / "),
        ("cron(0 0 ? * 2#6 *)", "day-of-week field '2#6'"),
        ("cron(0 0 ? * 2#1,3#1 *)", "must stand alone"),
        ("cron(0 0 * * ? 1969)", "year field '1969'"),
        ("cron(0 0 * * ? 2200)", "year field '2200'"),
        ("cron(0 ? * * ? *)", "hours field '?'"),
        ("cron(0 0 MONW * ? *)", "day-of-month field 'MONW'"),
        ("cron(0/0 * * * ? *)", "increment"),
        ("cron(0 0 L * L *)", "exactly one of day-of-month and day-of-week"),
        ("rate(1 minutes)", "rate(1 minute)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("rate(0 minutes)", "positive"),
        ("rate(2 weeks)", "rate(value unit)"),
        ("rate(1.5 hours)", "rate(value unit)"),
        ("at(2027-01-01T00:00:00)", "neither rate"),
    ],
)
def test_schedules_eventbridge_scheduler_rejects_are_refused_naming_the_key(
    expression: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=r"^schedule: ") as refused:
        props(schedule=expression)
    assert problem in str(refused.value)


def _name_contains_model() -> tuple[re.Pattern[str], int]:
    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .operation_model("ListInferenceRecommendationsJobs")
        .input_shape.members["NameContains"]
    )
    return re.compile(shape.metadata["pattern"]), shape.metadata["max"]


@pytest.mark.parametrize(
    "value",
    ["sweep", "bert-prod", "A1-b2", "x" * 63, "x" * 64, "my_sweep", "sweep!", "two words", "é", "sweep\n"],
)
def test_name_contains_is_checked_as_the_list_api_checks_it(value: str) -> None:
    """botocore's model of the API judges: same pattern and length limit."""
    pattern, longest = _name_contains_model()
    api_accepts = bool(pattern.fullmatch(value)) and len(value) <= longest
    if api_accepts:
        assert props(name_contains=value).name_contains == value
    else:
        with pytest.raises(ConfigError, match=r"^name_contains: .*letters, digits and hyphens, at most 63"):
            props(name_contains=value)


def test_slack_only_without_alarm_recipients_is_refused_naming_alarm_emails() -> None:
    with pytest.raises(ConfigError, match=r"^alarm_emails: .*alarm_emails=none"):
        MonitorProps(slack_webhook_secret_name="jobwatch/slack")
    assert MonitorProps(slack_webhook_secret_name="jobwatch/slack", alarm_emails=()).alarm_addresses == ()


def test_powertools_layer_arn_must_be_a_layer_version_arn() -> None:
    arn = "arn:aws-cn:lambda:cn-north-1:111122223333:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:7"
    assert props(powertools_layer_arn=arn).powertools_layer_arn == arn
    for wrong in (
        "arn:aws:lambda:eu-west-1:111122223333:layer:Powertools",  # no version
        "arn:aws:lambda:eu-west-1:111122223333:function:Powertools:7",
        "/aws/service/powertools/python/arm64/python3.14/3.37.0",
    ):
        with pytest.raises(ConfigError, match=r"^powertools_layer_arn: must be a Lambda layer version ARN"):
            props(powertools_layer_arn=wrong)


def test_layer_arn_pattern_agrees_with_lambdas_model() -> None:
    shape = botocore.session.get_session().get_service_model("lambda").shape_for("LayerVersionArn")
    model = re.compile(shape.metadata["pattern"])
    arn = "arn:aws-us-gov:lambda:us-gov-west-1:111122223333:layer:Powertools:12"
    assert model.fullmatch(arn)
    assert props(powertools_layer_arn=arn).powertools_layer_arn == arn


def test_kms_key_arns_are_checked_and_tied_to_what_they_encrypt() -> None:
    slack = {"slack_webhook_secret_name": "jobwatch/slack"}
    assert props(**slack, slack_secret_kms_key_arn=KEY_ARN).slack_secret_kms_key_arn == KEY_ARN
    with pytest.raises(
        ConfigError,
        match=r"^slack_secret_kms_key_arn: set slack_webhook_secret_name or slack_bot_token_secret_name too",
    ):
        props(slack_secret_kms_key_arn=KEY_ARN)
    with pytest.raises(
        ConfigError, match=r"^slack_secret_kms_key_arn: must be a KMS key ARN, .*\(not an alias\)"
    ):
        props(**slack, slack_secret_kms_key_arn="arn:aws:kms:eu-west-1:111122223333:alias/slack")
    assert props(kms_key="create").kms_key == "create"
    assert props(kms_key=KEY_ARN).kms_key == KEY_ARN
    with pytest.raises(ConfigError, match=r"^kms_key: must be a KMS key ARN, .* or 'create'"):
        props(kms_key="yes")


def test_job_kinds_default_to_both_and_are_checked_at_synth() -> None:
    assert props().job_kinds == ("inference-recommender", "ai-recommendation")
    assert props_from_context({"notify_emails": EMAIL[0], "job_kinds": "AI-Recommendation"}).job_kinds == (
        "ai-recommendation",
    )
    with pytest.raises(
        ConfigError, match=r"^job_kinds: 'training' is not one of inference-recommender, ai-recommendation"
    ):
        props(job_kinds=("training",))
    with pytest.raises(ConfigError, match=r"^job_kinds: is empty"):
        props(job_kinds=())


@pytest.mark.parametrize(
    ("job_names", "job_kinds", "problem"),
    [
        (("ai-recommendation/llama-sizing",), ("inference-recommender",), "a kind job_kinds leaves out"),
        (("training/x",), ("inference-recommender",), "unknown kind 'training'"),
        (
            ("ai-recommendation/" + "a" * 64,),
            ("ai-recommendation",),
            "not a valid ai-recommendation job name",
        ),
        (("bad_name",), ("inference-recommender",), "not a valid inference-recommender job name"),
    ],
)
def test_job_names_are_checked_against_their_kind(
    job_names: tuple[str, ...], job_kinds: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ConfigError, match=r"^job_names: ") as refused:
        props(job_names=job_names, job_kinds=job_kinds)
    assert problem in str(refused.value)


APP_MODE = {"slack_bot_token_secret_name": "jobwatch/slack-bot", "slack_channel": "C0123ABCDEF"}


def test_slack_app_mode_takes_a_channel_and_ordered_routes() -> None:
    configured = props(**APP_MODE, slack_routes=(("bert-*", "C0BERT0TEAM"), ("llama-?", "G0LLAMA0TEAM")))
    assert configured.slack_secret_name == "jobwatch/slack-bot"
    assert configured.slack_routes == (("bert-*", "C0BERT0TEAM"), ("llama-?", "G0LLAMA0TEAM"))
    by_place = props_from_context(
        {
            **APP_MODE,
            "notify_emails": "ml@example.com",
            "slack_routes": "111111111111/*/*=C0TEAMA0001,*/eu-west-1/*=C0EUROPE01,bert-*=C0BERT0TEAM",
        }
    )
    assert by_place.slack_routes == (
        ("111111111111/*/*", "C0TEAMA0001"),
        ("*/eu-west-1/*", "C0EUROPE01"),
        ("bert-*", "C0BERT0TEAM"),
    )
    assert MonitorProps(**APP_MODE, alarm_emails=()).slack_secret_name == "jobwatch/slack-bot"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {**APP_MODE, "slack_webhook_secret_name": "jobwatch/slack"},
            r"^slack_bot_token_secret_name: Slack's app mode replaces the webhook; set it or slack_webhook_secret_name, not both",
        ),
        ({"slack_bot_token_secret_name": "jobwatch/slack-bot"}, r"^slack_channel: required with"),
        ({"slack_channel": "C0123ABCDEF"}, r"^slack_channel: is for Slack's app mode"),
        ({"slack_routes": (("a*", "C0123ABCDEF"),)}, r"^slack_routes: is for Slack's app mode"),
        ({**APP_MODE, "slack_channel": "#ml-team"}, r"^slack_channel: '#ml-team' is not a Slack channel ID"),
        ({**APP_MODE, "slack_channel": "c0123abcdef"}, r"^slack_channel: .* is not a Slack channel ID"),
        (
            {**APP_MODE, "slack_routes": (("bert-*", "C0BERT"),)},
            r"^slack_routes: 'C0BERT' is not a Slack channel ID",
        ),
        (
            {**APP_MODE, "slack_routes": (("bert prod", "C0BERT0TEAM"),)},
            r"^slack_routes: 'bert prod' may hold only job-name characters",
        ),
        (
            {**APP_MODE, "slack_routes": (("eu-west-1/bert-*", "C0BERT0TEAM"),)},
            r"^slack_routes: 'eu-west-1/bert-\*' has 2 parts; a pattern with '/' is ACCOUNT/REGION/NAME",
        ),
        (
            {**APP_MODE, "slack_routes": (("team-a/*/*", "C0BERT0TEAM"),)},
            r"^slack_routes: the account part 'team-a' of 'team-a/\*/\*' may hold only digits",
        ),
        (
            {**APP_MODE, "slack_routes": (("*/Europe/*", "C0BERT0TEAM"),)},
            r"^slack_routes: the region part 'Europe' of '\*/Europe/\*' may hold only region-name characters",
        ),
        (
            {**APP_MODE, "slack_routes": (("*/*/bert prod", "C0BERT0TEAM"),)},
            r"^slack_routes: the name part 'bert prod' of .* may hold only job-name characters",
        ),
        (
            {**APP_MODE, "slack_routes": (("bert-*", "C0BERT0TEAM"), ("bert-*", "C0OTHER0TEAM"))},
            r"^slack_routes: the pattern 'bert-\*' has two rules",
        ),
        ({**APP_MODE, "slack_bot_token_secret_name": "no spaces"}, r"^slack_bot_token_secret_name: must be"),
    ],
)
def test_slack_app_mode_refuses_what_would_fail_later(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        props(**overrides)
