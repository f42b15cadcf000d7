"""The operator's CLI where it only reads: bad input (one sentence, a non-zero exit, never a
traceback) and lookups, against one deployment in moto that no tick has run in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobwatch_cli.deployment import locate, session_for
from local.sandbox import SynthesizedStack
from local.story import TICK_SECONDS
from tests.support.operator_world import World, deployed_world, one_sentence, verdicts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def untouched(operator_stack: SynthesizedStack) -> Iterator[World]:
    with deployed_world(operator_stack, run_function=False) as world:
        yield world


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["status", "--stack", "NotJobwatch"], "no CloudFormation stack named NotJobwatch in us-east-1"),
        (["status", "--region", "eu-west-1"], "no CloudFormation stack named Jobwatch in eu-west-1"),
        (["doctor", "--function", "not-a-function"], "no Lambda function named not-a-function"),
        (["preview", "no-such-job"], "no Inference Recommender job named no-such-job in us-east-1"),
        (["status", "--region", "not a region"], "'not a region' is not a region name"),
        (["status", "--profile", "nobody"], "the AWS profile 'nobody' is not in your AWS config files"),
    ],
)
def test_bad_input_gets_one_clear_sentence(untouched: World, arguments: list[str], says: str) -> None:
    assert says in one_sentence(untouched.cli(*arguments))


def test_no_credentials_gets_one_clear_sentence(
    untouched: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    assert "no AWS credentials found" in one_sentence(untouched.cli("status"))


def test_json_errors_are_json_too(untouched: World) -> None:
    result = untouched.cli("status", "--stack", "NotJobwatch", "--json")

    assert result.code == 1
    assert "NotJobwatch" in result.json["error"]


def test_the_function_finds_the_same_deployment_as_the_stack(untouched: World) -> None:
    by_stack = untouched.cli("status", "--json").json["deployment"]
    by_function = untouched.cli("status", "--json", "--function", untouched.deployment.function_name).json[
        "deployment"
    ]

    assert {**by_stack, "stack": None} == by_function


def test_retry_abandoned_for_an_unknown_job_says_so(untouched: World) -> None:
    sentence = one_sentence(untouched.cli("retry-abandoned", "no-such-job"))

    assert "no record of a job named no-such-job" in sentence


def test_preview_of_a_running_job_says_nothing_would_be_sent_yet(untouched: World) -> None:
    untouched.clock.advance(TICK_SECONDS // 2)  # bert-base-uncased-sweep is running

    result = untouched.cli("preview", "bert-base-uncased-sweep", "--json")

    assert result.code == 0
    assert result.json["status"] == "IN_PROGRESS"
    assert not result.json["announced"]


def test_doctor_before_any_tick_says_none_ran(untouched: World) -> None:
    result = untouched.cli("doctor", "--json")

    [check] = verdicts(result)["recent ticks"]
    assert result.code == 1
    assert check["verdict"] == "PROBLEM"


def test_a_tick_in_the_current_minute_counts_and_another_deployments_ticks_do_not(
    untouched: World,
) -> None:
    """A second stack in the account (JobwatchStaging) publishes the same metric names under its own
    service; its failing tick is not this deployment's."""
    now = datetime(2026, 1, 5, 12, 0, 0, 500000, tzinfo=UTC)  # far from the other tests' ticks
    untouched.cloud.client("cloudwatch").put_metric_data(
        Namespace="jobwatch",
        MetricData=[
            {
                "MetricName": "TickErrors",
                "Dimensions": [{"Name": "service", "Value": service}],
                "Value": errors,
                "Timestamp": now,
            }
            for service, errors in (("Jobwatch", 0.0), ("JobwatchStaging", 1.0), ("JobwatchStaging", 1.0))
        ],
    )
    deployment = locate(session_for(region=None, profile=None), stack=None, function=None)

    history = deployment.tick_history(now=now)

    assert (history.ticks_last_hour, history.tick_errors_last_hour) == (1, 0)
    assert deployment.service_name == "Jobwatch"  # the stack's name, from the function's environment
    assert history.last_tick is not None
