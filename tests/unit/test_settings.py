"""Settings fail fast, naming the variable, instead of failing mid-tick."""

from __future__ import annotations

import pytest
from job_monitor.settings import Settings, SettingsError

BASE = {"STATE_TABLE_NAME": "state", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "AWS_REGION": "eu-west-1"}


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
    assert settings.job_names == ("a", "b")


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
    ],
)
def test_bad_values_name_the_variable(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, **overrides})
