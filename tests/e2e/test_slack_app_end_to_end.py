"""Slack's app mode through the synthesized stack's own function: the story, one thread per job.

The stack is synthesized with the app-mode context keys; the function reads its bot token from
(moto's) Secrets Manager and talks to the local Web API, which SLACK_API_URL points at.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobwatch_cli.cli import main as jobwatch
from local.deployed import deploy
from local.sandbox import (
    LocalCloud,
    LocalFunction,
    SynthesizedStack,
    endpoint_variables,
    provision,
)
from local.slack_api import BOT_TOKEN, SlackApi, SlackMessage
from local.story import STORY, TICKS, build_world, expected
from tests.support.function_run import FunctionRun

pytestmark = pytest.mark.slow

DEFAULT = "C0DEFAULT01"
LLM = "C0LLM0TEAM1"
CONTEXT = {
    "notify_emails": "ml-team@example.com",
    "slack_bot_token_secret_name": "jobwatch/slack-bot",
    "slack_channel": DEFAULT,
    "slack_routes": f"llama-*={LLM},gpt2-*={LLM}",
}
RUNNING_AT_BASELINE = {job.name for job in STORY if job.created_after_ticks < 0}


@dataclass
class Run(FunctionRun):
    api: SlackApi

    def job_of(self, message: SlackMessage) -> str:
        [name] = [job.name for job in STORY if message.header.endswith(f": {job.name}")]
        return name


@pytest.fixture
def run(stack: SynthesizedStack, tmp_path: Path) -> Iterator[Run]:
    clock, simulator = build_world()
    with LocalCloud() as cloud, simulator, SlackApi(channels=(DEFAULT, LLM)) as api:
        provisioned = provision(stack, cloud, slack_secret_value=json.dumps({"bot_token": BOT_TOKEN}))
        endpoints = {**endpoint_variables(cloud, simulator.endpoint_url), "SLACK_API_URL": api.url}
        with LocalFunction.of_stack(stack, provisioned, endpoints=endpoints) as function:
            yield Run(cloud, provisioned, function, clock, api)


def test_each_job_is_one_thread_or_one_message_and_each_summary_arrives_once(run: Run) -> None:
    summaries = run.ticks(TICKS)

    parents = run.api.parents()
    finals = Counter(
        (run.job_of(message), message.header.split(" ", 1)[1].split(":")[0]) for message in parents
    )
    assert set(finals) == expected()  # every parent ends showing the job's final state
    assert max(finals.values()) == 1
    threaded = {run.job_of(parent) for parent in parents if len(parent.versions) > 1}
    for parent in parents:
        replies = run.api.replies(parent)
        if run.job_of(parent) in threaded:
            [reply] = replies
            assert reply.broadcast
            assert reply.header == parent.header  # the summary's header names the same final state
            assert parent.versions[0]["blocks"][0]["text"]["text"].startswith("⏳ RUNNING: ")
        else:
            assert replies == []
    # running before jobwatch's first tick, or started and finished between two ticks: no thread
    assert threaded.isdisjoint(RUNNING_AT_BASELINE | {"distilbert-quick"})
    assert {"llama-7b-int8", "xgboost-churn-nightly", "gpt2-medium-sizing"} <= threaded
    posts = [call for call in run.api.calls if call.method == "chat.postMessage" and call.answer == "ok"]
    assert len(posts) == len(expected()) + len(threaded)
    # TransitionsDetected counts the ends only; the threads' starts are JobsStarted
    published = Counter()
    for record in run.function.log_records():
        for name in ("TransitionsDetected", "JobsStarted"):
            published[name] += sum(record.get(name, ()))
    assert published == {"TransitionsDetected": len(expected()), "JobsStarted": len(threaded)}
    assert sum(summary["started"] for summary in summaries) == len(threaded)


def test_jobs_go_to_their_routed_channel_and_email_carries_it(run: Run) -> None:
    run.ticks(TICKS)

    channels = {run.job_of(parent): parent.channel for parent in run.api.parents()}
    assert channels["llama-7b-int8"] == channels["gpt2-medium-sizing"] == LLM
    assert channels["bert-base-uncased-sweep"] == DEFAULT
    routed = {m["attributes"]["job_name"]: m["attributes"]["slack_channel"] for m in run.emails()}
    assert routed == {name: channels[name] for name, _ in expected()}


def test_the_token_is_in_no_log_and_the_environment_only_names_its_secret(run: Run) -> None:
    run.ticks(TICKS)

    environment = run.provisioned.environment
    assert environment["SLACK_BOT_TOKEN_SECRET_NAME"] == "jobwatch/slack-bot"
    assert BOT_TOKEN not in json.dumps(environment)
    assert BOT_TOKEN not in json.dumps(list(run.function.log_records()))
    items = run.cloud.client("dynamodb").scan(TableName=run.provisioned.table_name)["Items"]
    assert BOT_TOKEN not in json.dumps(items)
    assert any("threads" in item for item in items)


def test_a_slack_outage_is_retried_and_every_summary_still_arrives_once(run: Run) -> None:
    run.ticks(1)
    run.api.fail_next(40, error="service_unavailable", status=503)
    run.ticks(TICKS - 1)
    run.api.recover()
    run.ticks(2)

    summaries = Counter(
        (run.job_of(message), message.header.split(" ", 1)[1].split(":")[0])
        for message in run.api.messages
        if message.thread_ts is not None or len(run.api.replies(message)) == 0
    )
    assert set(summaries) == expected()
    assert max(summaries.values()) == 1


def _cli(run: Run, *arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    code = jobwatch(list(arguments), invoke=lambda _name, event: run.function.invoke(event), out=out, err=out)
    return code, out.getvalue()


def test_send_test_posts_in_every_routed_channel_and_names_the_one_to_fix(
    run: Run, stack: SynthesizedStack
) -> None:
    deploy(stack, run.cloud, run.provisioned)
    code, out = _cli(run, "send-test")

    assert code == 0, out
    assert sorted((m.channel, m.thread_ts) for m in run.api.messages) == [(DEFAULT, None), (LLM, None)]
    assert all("TEST MESSAGE" in m.content["text"] for m in run.api.messages)
    assert f"slack {DEFAULT}  delivered  default channel\n" in out
    assert f"slack {LLM}  delivered  routes llama-*, gpt2-*\n" in out

    run.api.outside.add(LLM)  # the app was removed from the LLM team's channel
    code, out = _cli(run, "send-test")

    assert code == 1
    assert f"slack {DEFAULT}  delivered  default channel\n" in out
    assert (
        f"slack {LLM}  FAILED     routes llama-*, gpt2-*: Slack refused chat.postMessage (not_in_channel): "
        "the app is not a member of the channel: invite it there" in out
    )


def test_preview_names_the_routed_channel_and_the_attribute_email_filters_on(
    run: Run, stack: SynthesizedStack
) -> None:
    run.ticks(TICKS)
    deploy(stack, run.cloud, run.provisioned)

    code, out = _cli(run, "preview", "llama-7b-int8")

    assert code == 0, out
    assert (
        "SNS message attributes (subscription filter policies match these): status=FAILED, "
        f"job_name=llama-7b-int8, job_kind=inference-recommender, slack_channel={LLM}\n" in out
    )
    assert f"── Slack in {LLM} (as the channel shows it) ──" in out


def test_doctor_reads_the_bot_token_secret_without_printing_it(run: Run, stack: SynthesizedStack) -> None:
    deploy(stack, run.cloud, run.provisioned)
    _, out = _cli(run, "doctor", "--json")
    [secret] = [check for check in json.loads(out)["checks"] if check["name"] == "Slack secret"]
    assert (secret["verdict"], secret["detail"]) == ("ok", "jobwatch/slack-bot holds a bot token")

    wrapped = BOT_TOKEN[:20] + "\n" + BOT_TOKEN[20:]
    run.cloud.client("secretsmanager").put_secret_value(
        SecretId="jobwatch/slack-bot", SecretString=json.dumps({"bot_token": wrapped})
    )
    _, out = _cli(run, "doctor", "--json")
    [secret] = [check for check in json.loads(out)["checks"] if check["name"] == "Slack secret"]
    assert secret["verdict"] == "PROBLEM"
    assert "does not hold a bot token" in secret["detail"]
    assert '{"bot_token": "xoxb-..."}' in secret["fix"]
    assert BOT_TOKEN[20:] not in out
