"""The operator's CLI against a deployment in moto (local/deployed.py), the simulator for
SageMaker, a Slack receiver, and the real handler run locally wherever the CLI would invoke the
deployed function. Each test gets a fresh world; tests/e2e/test_operator_cli_lookups.py shares one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from moto.sns.models import sns_backends

from jobwatch_cli.status import RECENT_FINISHED
from local.sandbox import ACCOUNT_ID, REGION, SynthesizedStack
from local.story import STORY, TICKS, expected
from tests.support.operator_world import (
    World,
    abandon_slack,
    allow_cloudwatch_on_alarm_topic,
    deployed_world,
    verdicts,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def world(operator_stack: SynthesizedStack) -> Iterator[World]:
    with deployed_world(operator_stack, run_function=True) as world:
        yield world


# --- status -------------------------------------------------------------------------------------


def test_status_shows_the_jobs_their_messages_the_last_tick_and_the_alarms(world: World) -> None:
    world.ticks(TICKS)

    result = world.cli("status", "--json")

    assert result.code == 0
    status = result.json
    assert status["deployment"]["function"] == world.deployment.function_name
    assert status["deployment"]["channels"] == ["email", "slack"]
    jobs = {job["name"]: job for job in status["jobs"]}
    for name, outcome in expected():
        assert jobs[name]["status"] == outcome
        assert jobs[name]["deliveries"] == {"email": "sent", "slack": "sent"}
    assert status["messages"] == []
    assert status["last_tick"] is not None
    assert status["ticks_last_hour"] == TICKS
    assert [source["source"] for source in status["sources"]] == [
        f"{ACCOUNT_ID}/{REGION}/inference-recommender",
        f"{ACCOUNT_ID}/{REGION}/ai-recommendation",
    ]
    assert all(source["cursor"] and not source["failing"] for source in status["sources"])
    assert {job["kind"] for job in status["jobs"]} == {"inference-recommender", "ai-recommendation"}
    assert sorted(alarm["name"] for alarm in status["alarms"]) == sorted(world.deployment.alarm_names)
    text = world.cli("status")
    assert text.code == 0
    assert "Messages owed or abandoned: 0" in text.out
    assert (
        f"Jobs: 0 running, {len(STORY)} finished on record (the {RECENT_FINISHED} latest shown)" in text.out
    )
    assert sum(job.name in text.out for job in STORY) == RECENT_FINISHED
    assert "Sources: 2 watched (account/region/kind), 0 failing" in text.out
    assert "ACCOUNT/REGION" not in text.out  # one account and region: the jobs table does not repeat it


def test_status_names_each_abandoned_message_with_its_last_error(world: World) -> None:
    abandon_slack(world)

    status = world.cli("status", "--json").json

    abandoned = {(m["job_name"], m["status"]) for m in status["messages"] if m["state"] == "abandoned"}
    assert abandoned == expected()
    assert {m["channel"] for m in status["messages"]} == {"slack"}
    assert all("the webhook is gone" in m["last_error"] for m in status["messages"])
    assert "retry-abandoned" in world.cli("status").out


# --- retry-abandoned ------------------------------------------------------------------------------


def test_retry_abandoned_sends_each_message_once_through_the_outbox(world: World) -> None:
    abandon_slack(world)
    emails_before = len(world.emails())
    assert world.slack_posts() == []

    result = world.cli("retry-abandoned")

    assert result.code == 0
    assert f"{len(expected())} message(s) owed again" in result.out
    assert {m["state"] for m in world.cli("status", "--json").json["messages"]} == {"pending"}
    world.ticks(2)
    assert Counter(world.slack_posts()).most_common(1)[0][1] == 1
    assert len(world.slack_posts()) == len(expected())
    assert world.emails() == []
    assert emails_before > 0
    again = world.cli("retry-abandoned")
    assert again.code == 0
    assert "Nothing to retry" in again.out
    world.ticks(1)
    assert len(world.slack_posts()) == len(expected())


def test_retry_abandoned_for_one_job_requeues_only_that_job(world: World) -> None:
    abandon_slack(world)

    result = world.cli("retry-abandoned", "llama-7b-int8", "--json")

    assert result.code == 0
    assert [(m["job_name"], m["requeued"]) for m in result.json["messages"]] == [("llama-7b-int8", True)]
    world.ticks(1)
    assert len(world.slack_posts()) == 1
    assert "llama-7b-int8" in world.slack_posts()[0]


def test_retry_abandoned_skips_a_job_that_no_longer_exists_and_exits_non_zero(world: World) -> None:
    abandon_slack(world)
    world.simulator.delete_job("llama-7b-int8")

    result = world.cli("retry-abandoned", "--json")

    assert result.code == 1
    outcomes = {m["job_name"]: m for m in result.json["messages"]}
    assert not outcomes["llama-7b-int8"]["requeued"]
    assert "no longer exists" in outcomes["llama-7b-int8"]["detail"]
    assert sum(m["requeued"] for m in outcomes.values()) == len(expected()) - 1


# --- preview --------------------------------------------------------------------------------------


def test_preview_prints_exactly_what_each_channel_received_and_sends_nothing(world: World) -> None:
    world.ticks(TICKS)
    delivered_email = {m["attributes"]["job_name"]: m for m in world.emails()}["resnet50-vs-production"]
    delivered_slack = next(r.json for r in world.slack.requests if "resnet50-vs-production" in r.json["text"])
    items, posts = world.table_items(), len(world.slack.requests)

    result = world.cli("preview", "resnet50-vs-production", "--json")

    assert result.code == 0
    preview = result.json
    assert preview["channels"]["email"]["subject"] == delivered_email["subject"]
    assert preview["channels"]["email"]["body"] == delivered_email["body"]
    assert preview["channels"]["slack"]["payload"] == delivered_slack
    text = world.cli("preview", "resnet50-vs-production").out
    assert delivered_email["subject"] in text
    assert "nothing was sent" in text
    assert world.table_items() == items
    assert len(world.slack.requests) == posts
    assert world.emails() == []


def test_preview_of_an_ai_recommendation_job_names_its_kind(world: World) -> None:
    world.ticks(TICKS)
    delivered = {m["attributes"]["job_name"]: m for m in world.emails()}["llama31-8b-chat-sizing"]

    result = world.cli("preview", "ai-recommendation/llama31-8b-chat-sizing", "--json")

    assert result.code == 0
    assert result.json["job_kind"] == "ai-recommendation"
    assert result.json["channels"]["email"]["body"] == delivered["body"]
    assert (
        world.cli("preview", "llama31-8b-chat-sizing").code != 0
    )  # a bare name is an Inference Recommender job


# --- send-test ------------------------------------------------------------------------------------


def test_send_test_delivers_a_labelled_message_on_every_channel_and_records_nothing(world: World) -> None:
    world.ticks(TICKS)
    world.emails()
    items, posts = world.table_items(), len(world.slack.requests)

    result = world.cli("send-test")

    assert result.code == 0
    assert "email    delivered" in result.out
    assert "slack    delivered" in result.out
    [post] = world.slack.requests[posts:]
    assert post.json["text"].startswith("🧪 TEST MESSAGE")
    [email] = world.emails()
    assert email["subject"] == "[jobwatch] TEST MESSAGE: jobwatch-test-message"
    assert world.table_items() == items
    assert world.function is not None
    unknown = world.function.invoke({"action": "send-tset"})
    assert "unknown action 'send-tset'" in unknown["error"]
    assert world.table_items() == items
    assert len(world.slack.requests) == posts + 1


def test_send_test_reports_a_broken_channel_and_exits_non_zero(world: World) -> None:
    world.slack.fail_next(count=1, status=410)

    result = world.cli("send-test", "--json")

    assert result.code == 1
    channels = result.json["channels"]
    assert channels["email"] == {"delivered": True, "error": None}
    assert not channels["slack"]["delivered"]
    assert "the webhook is gone (HTTP 410" in channels["slack"]["error"]


def test_send_test_names_email_subscribers_whose_status_filter_keeps_it_from_them(world: World) -> None:
    sns = world.cloud.client("sns")
    [subscription] = [
        s
        for s in sns.list_subscriptions_by_topic(TopicArn=world.provisioned.topic_arn)["Subscriptions"]
        if s["Protocol"] == "email"
    ]
    sns.set_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"],
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"status": ["FAILED"]}),
    )

    result = world.cli("send-test")

    assert result.code == 0
    assert "will not receive it: ml-team@example.com" in result.out


# --- doctor ---------------------------------------------------------------------------------------


def test_doctor_passes_a_healthy_deployment(world: World) -> None:
    world.ticks(2)
    allow_cloudwatch_on_alarm_topic(world)

    result = world.cli("doctor", "--json")

    assert result.code == 0, result.out
    assert result.json["healthy"]
    assert {check["verdict"] for check in result.json["checks"]} == {"ok"}
    assert {
        "function",
        "schedule",
        "Slack secret",
        "email subscriptions",
        "alarm topic subscribers",
        "alarm topic policy",
        "alarms",
        "recent ticks",
    } == set(verdicts(result))
    assert world.slack.url not in result.out
    assert "all checks passed" in world.cli("doctor").out


def test_doctor_names_each_problem_with_its_fix(world: World) -> None:
    world.ticks(1)
    sns = world.cloud.client("sns")
    # the alarm topic's policy as the template had it before issue 12: TLS only, nothing for CloudWatch
    deny_only = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": world.alarm_topic(),
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    sns.set_topic_attributes(
        TopicArn=world.alarm_topic(), AttributeName="Policy", AttributeValue=json.dumps(deny_only)
    )
    # moto confirms every email subscription; make one look as SNS lists an unconfirmed one.
    backend = sns_backends[ACCOUNT_ID][REGION]
    pending = next(
        s
        for s in backend.subscriptions.values()
        if s.topic.arn == world.provisioned.topic_arn and s.protocol == "email"
    )
    del backend.subscriptions[pending.arn]
    pending.arn = "PendingConfirmation"
    backend.subscriptions[pending.arn] = pending
    scheduler = world.cloud.client("scheduler")
    [name] = world.deployment.schedule_names
    schedule = scheduler.get_schedule(Name=name)
    scheduler.update_schedule(
        Name=name,
        ScheduleExpression=schedule["ScheduleExpression"],
        FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
        Target=schedule["Target"],
        State="DISABLED",
    )
    alarm = next(name for name in world.deployment.alarm_names if "NotificationsAbandoned" in name)
    world.cloud.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [1.0]"
    )

    result = world.cli("doctor", "--json")

    assert result.code == 1
    checks = verdicts(result)
    problems = {name for name, found in checks.items() if any(c["verdict"] == "PROBLEM" for c in found)}
    assert problems == {"alarm topic policy", "email subscriptions", "schedule", "alarms"}
    [policy] = checks["alarm topic policy"]
    assert "not authorized to perform: SNS:Publish" in policy["detail"]
    assert "cloudwatch.amazonaws.com" in policy["fix"]
    assert "ml-team@example.com" in checks["email subscriptions"][0]["detail"]
    assert "DISABLED" in checks["schedule"][0]["detail"]
    [firing] = [check for check in checks["alarms"] if check["verdict"] == "PROBLEM"]
    assert alarm in firing["detail"]
    assert all(check["fix"] for found in checks.values() for check in found if check["verdict"] == "PROBLEM")


def test_a_malformed_secret_is_named_and_never_printed(world: World) -> None:
    world.ticks(1)
    world.cloud.client("secretsmanager").put_secret_value(
        SecretId="jobwatch/slack",
        SecretString='{"url": "https://hooks.slack.com/services/T0/B0/SECRETTOKEN"}',
    )

    result = world.cli("doctor")

    assert result.code == 1
    assert "jobwatch/slack is malformed" in result.out
    assert "SECRETTOKEN" not in result.out + result.err


def test_every_command_prints_json(world: World) -> None:
    world.ticks(TICKS)
    for arguments in (
        ["status"],
        ["preview", "distilbert-quick"],
        ["send-test"],
        ["retry-abandoned"],
        ["doctor"],
    ):
        result = world.cli(*arguments, "--json")
        assert isinstance(result.json, dict), arguments
