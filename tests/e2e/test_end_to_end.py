"""The demo without the theatre: the synthesized stack's own function, against moto, the
simulator and a Slack receiver, asserting on what was delivered.

These catch what unit tests cannot: an environment variable named differently in ``infra/`` and
``lambdas/``, a permission-free path that only works in tests, a handler that imports something
the asset folder lacks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from local.sandbox import (
    LocalCloud,
    LocalFunction,
    SynthesizedStack,
    endpoint_variables,
    provision,
)
from local.simulator import InferenceRecommenderSimulator
from local.slack_receiver import SlackReceiver
from local.story import (
    AI_HISTORY,
    AI_RECOMMENDATION,
    HISTORY,
    OUT_OF_MEMORY,
    STORY,
    TICKS,
    build_world,
    expected,
)
from tests.support.function_run import FunctionRun

pytestmark = pytest.mark.slow

CONTEXT = {"notify_emails": "ml-team@example.com", "slack_webhook_secret_name": "jobwatch/slack"}


@dataclass
class Run(FunctionRun):
    slack: SlackReceiver
    simulator: InferenceRecommenderSimulator

    def slack_keys(self) -> list[tuple[str, str]]:
        keys = []
        for request in self.slack.requests:
            text = request.json["text"]
            names = [job.name for job in STORY if job.name in text] + [
                name for name in (*HISTORY, *AI_HISTORY) if name in text
            ]
            statuses = [status for status in ("COMPLETED", "FAILED", "STOPPED") if status in text]
            keys.append((names[0] if names else "?", statuses[0] if statuses else "?"))
        return keys


@pytest.fixture
def run(stack: SynthesizedStack, tmp_path: Path) -> Iterator[Run]:
    clock, simulator = build_world()
    with LocalCloud() as cloud, simulator, SlackReceiver() as slack:
        provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"webhook_url": slack.url}))
        endpoints = endpoint_variables(cloud, simulator.endpoint_url)
        with LocalFunction.of_stack(stack, provisioned, endpoints=endpoints) as function:
            yield Run(cloud, provisioned, function, clock, slack, simulator)


def test_the_function_environment_comes_from_the_template_and_points_at_local_resources(run: Run) -> None:
    environment = run.provisioned.environment
    assert environment["STATE_TABLE_NAME"] == run.provisioned.table_name
    assert environment["TOPIC_ARN"] == run.provisioned.topic_arn
    assert environment["SLACK_WEBHOOK_SECRET_NAME"] == "jobwatch/slack"
    assert run.slack.url not in json.dumps(environment)


def test_the_story_is_delivered_once_per_channel_and_history_never(run: Run) -> None:
    summaries = run.ticks(TICKS)

    emails = run.emails()
    email_keys = Counter((m["attributes"]["job_name"], m["attributes"]["status"]) for m in emails)
    assert set(email_keys) == expected()
    assert max(email_keys.values()) == 1
    slack_keys = Counter(run.slack_keys())
    assert set(slack_keys) == expected()
    assert max(slack_keys.values()) == 1
    assert summaries[0]["baseline"]
    assert all("sources" not in summary for summary in summaries)  # one account, one region: as before
    assert sum(summary["transitions"] for summary in summaries) == len(expected())
    assert [summary["errors"] for summary in summaries] == [0] * TICKS


def test_both_kinds_are_announced_with_their_kind(run: Run) -> None:
    run.ticks(TICKS)

    emails = run.emails()
    kinds = {m["attributes"]["job_name"]: m["attributes"]["job_kind"] for m in emails}
    assert {name for name, kind in kinds.items() if kind == AI_RECOMMENDATION} == {
        job.name for job in STORY if job.kind == AI_RECOMMENDATION
    }
    assert set(kinds.values()) == {"inference-recommender", AI_RECOMMENDATION}
    ai_email = next(m for m in emails if m["attributes"]["job_name"] == "mistral-7b-lora-adapters")
    assert "AI recommendation job COMPLETED" in ai_email["body"]
    assert "Adapters      support-bot, sql-bot" in ai_email["body"]


def test_emails_carry_subject_body_and_filterable_attributes(run: Run) -> None:
    run.ticks(TICKS)

    by_job = {m["attributes"]["job_name"]: m for m in run.emails()}
    completed = by_job["bert-base-uncased-sweep"]
    assert len(completed["subject"]) <= 100
    assert "COMPLETED" in completed["subject"]
    assert "ml." in completed["body"]  # names an instance type
    failed = by_job["llama-7b-int8"]
    assert failed["attributes"]["status"] == "FAILED"
    assert "OOMKilled" in failed["body"]


def test_slack_messages_cannot_ping_the_channel_or_forge_links(run: Run) -> None:
    run.ticks(TICKS)

    raw = json.dumps([request.json for request in run.slack.requests])
    assert "<!channel>" not in raw
    assert "<https://evil.example" not in raw


def test_a_quiet_tick_sends_nothing(run: Run) -> None:
    run.ticks(TICKS)
    delivered = len(run.slack.requests), len(run.emails())

    quiet = run.ticks(2)

    assert [summary["transitions"] for summary in quiet] == [0, 0]
    assert (len(run.slack.requests), len(run.emails())) == (delivered[0], 0)


def test_slack_outage_is_retried_without_repeating_email(run: Run) -> None:
    run.ticks(1)
    run.slack.fail_next(count=50, status=503)
    run.ticks(TICKS - 1)
    during = run.emails()
    run.slack.recover()

    run.ticks(1)

    assert {(m["attributes"]["job_name"], m["attributes"]["status"]) for m in during} == expected()
    assert set(run.slack_keys()) == expected()
    assert run.emails() == []


def test_logs_are_structured_carry_metrics_and_never_the_webhook(run: Run) -> None:
    run.ticks(TICKS)

    records = list(run.function.log_records())
    text = json.dumps(records)
    assert run.slack.url not in text
    assert any(
        record.get("message") == "transition detected" and record.get("job_name") for record in records
    )
    emf = [record for record in records if "_aws" in record]
    metric_names = {
        metric["Name"]
        for record in emf
        for directive in record["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    assert {"TransitionsDetected", "NotificationsSent", "NotificationsFailed"} <= metric_names
    # every series, per-channel ones included, is this stack's own: the service its alarms watch
    assert {record["service"] for record in emf} == {"Jobwatch"}


def test_the_adapters_warnings_are_the_functions_structured_log_lines(run: Run) -> None:
    """More benchmark steps than the adapter reads: its warning carries the job and the tick's context."""
    steps = tuple(("ml.g5.xlarge", OUT_OF_MEMORY) for _ in range(1001))
    run.simulator.add_job(
        "huge-sweep",
        outcome="FAILED",
        created_at=run.clock.now() + timedelta(minutes=1),
        failed_benchmarks=steps,
    )

    run.ticks(TICKS)

    warnings = [
        record
        for record in run.function.log_records()
        if record.get("message") == "benchmark steps left out: listing them took too long"
    ]
    assert warnings
    for warning in warnings:
        assert (warning["level"], warning["service"], warning["job_name"]) == (
            "WARNING",
            "Jobwatch",
            "huge-sweep",
        )
        assert warning["function_name"] == "jobwatch-monitor"  # logged within the invocation's context
