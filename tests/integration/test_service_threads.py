"""Slack's app mode through the tick: one thread per job, over moto DynamoDB and the local Web API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.adapters.slack_app import SlackAppNotifier
from job_monitor.domain import COMPLETED, FAILED, IN_PROGRESS, PENDING, STOPPED, Recommendation
from job_monitor.messages import MessageOptions
from job_monitor.settings import Settings
from moto import mock_aws

from local.slack_api import BOT_TOKEN, SlackApi
from tests.support.channels import BERT, DEFAULT
from tests.support.monitor_world import BASE_ENVIRONMENT, TABLE, MonitorWorld
from tests.support.tables import create_state_table


class AppWorld(MonitorWorld):
    """A monitor in app mode: email recorded in memory, Slack through the real notifier and local API."""

    def __init__(self, api: SlackApi, **overrides: str) -> None:
        super().__init__(
            Settings.from_env(
                {
                    **BASE_ENVIRONMENT,
                    "SLACK_BOT_TOKEN_SECRET_NAME": "jobwatch/slack-bot",
                    "SLACK_CHANNEL": DEFAULT,
                    "SLACK_ROUTES": f"bert-*={BERT}",
                    "SLACK_API_URL": api.url,
                    "MAX_DELIVERY_ATTEMPTS": "5",
                    **overrides,
                }
            )
        )
        self.api = api
        assert self.settings.slack_router is not None
        self.slack = SlackAppNotifier(
            bot_token=lambda refresh: BOT_TOKEN,
            router=self.settings.slack_router,
            options=MessageOptions(),
            api_url=self.settings.slack_api_url,
            timeout_seconds=2.0,
        )

    def job(self, name: str, status: str, *, minutes_ago: float = 1, **extra: object) -> None:
        super().job(name, status, minutes_ago=minutes_ago, model="bert-model", **extra)

    def move(self, name: str, status: str) -> None:
        extra: dict[str, Any] = {}
        if status == COMPLETED:
            extra["recommendations"] = (Recommendation(instance_type="ml.c5.xlarge", instance_count=1),)
        if status in (COMPLETED, FAILED, STOPPED):
            extra["completed_at"] = self.clock.now
        self.source.move(name, status, self.clock.now, **extra)

    def posts(self) -> list[tuple[str, str]]:
        """(method, answer) of every Web API call, in order."""
        return [(call.method, call.answer) for call in self.api.calls]

    def post_count(self) -> int:
        return sum(1 for call in self.api.calls if call.method == "chat.postMessage" and call.answer == "ok")


@pytest.fixture
def world(api: SlackApi) -> Iterator[AppWorld]:
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        created = AppWorld(api)
        created.tick()  # the baseline: an empty account
        yield created


def test_a_job_gets_a_thread_whose_parent_is_updated_and_whose_summary_is_broadcast(world: AppWorld) -> None:
    world.job("bert-sweep", IN_PROGRESS)
    started = world.tick()

    [parent] = world.api.messages
    assert (parent.channel, parent.header) == (BERT, "⏳ RUNNING: bert-sweep")
    assert started.channels["slack"].sent == 1
    assert (started.started, started.transitions) == (1, 0)  # a start is no transition to an end
    assert world.email.delivered == []  # a start is news only where it opens a thread

    world.move("bert-sweep", COMPLETED)
    finished = world.tick()
    world.tick()

    [parent, reply] = world.api.messages
    assert parent.header == "✅ COMPLETED: bert-sweep"
    assert (reply.thread_ts, reply.broadcast) == (parent.ts, True)
    assert world.posts() == [("chat.postMessage", "ok"), ("chat.update", "ok"), ("chat.postMessage", "ok")]
    assert finished.channels["slack"].sent == 1
    assert (finished.started, finished.transitions) == (0, 1)
    assert world.email.keys() == [("bert-sweep", COMPLETED)]


def test_a_job_first_seen_waiting_opens_its_thread_when_it_runs(world: AppWorld) -> None:
    world.job("t5-small", PENDING)
    world.tick()
    assert world.api.messages == []
    world.move("t5-small", IN_PROGRESS)
    world.tick()
    [parent] = world.api.messages
    assert parent.channel == DEFAULT


def test_a_job_that_starts_and_ends_between_ticks_gets_one_message(world: AppWorld) -> None:
    world.job("bert-quick", FAILED, minutes_ago=0.5)
    world.tick()

    [message] = world.api.messages
    assert (message.thread_ts, message.header) == (None, "❌ FAILED: bert-quick")
    assert world.posts() == [("chat.postMessage", "ok")]


def test_a_job_running_before_jobwatch_started_gets_one_message_when_it_ends(api: SlackApi) -> None:
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        world = AppWorld(api)
        world.job("bert-old", IN_PROGRESS, minutes_ago=60)
        world.tick()  # the baseline records it silently
        world.move("bert-old", STOPPED)
        world.tick()

    [message] = api.messages
    assert (message.thread_ts, message.header) == (None, "⏹️ STOPPED: bert-old")


def test_a_parent_never_posted_leaves_one_summary_message(world: AppWorld) -> None:
    world.job("bert-sweep", IN_PROGRESS)
    world.api.fail_next(1, error="service_unavailable", status=503)
    world.tick()  # the parent fails; it stays owed
    world.move("bert-sweep", COMPLETED)
    world.api.fail_next(2, error="service_unavailable", status=503)  # the retry, then the summary, fail
    world.tick()
    world.tick()
    world.tick()

    [message] = world.api.messages
    assert (message.thread_ts, message.header) == (None, "✅ COMPLETED: bert-sweep")


def test_a_parent_posted_by_a_retry_still_gets_its_thread(world: AppWorld) -> None:
    world.job("bert-sweep", IN_PROGRESS)
    world.api.fail_next(1, error="ratelimited", status=429, retry_after=1)
    world.tick()
    world.tick()  # the owed parent is retried and posted
    world.move("bert-sweep", COMPLETED)
    world.tick()

    [parent, reply] = world.api.messages
    assert reply.thread_ts == parent.ts
    assert parent.header == "✅ COMPLETED: bert-sweep"


def test_a_deleted_parent_is_replaced_by_one_summary_message(world: AppWorld) -> None:
    world.job("bert-sweep", IN_PROGRESS)
    world.tick()
    world.api.delete(world.api.messages[0])
    world.move("bert-sweep", COMPLETED)
    world.tick()

    [message] = world.api.messages
    assert (message.thread_ts, message.header) == (None, "✅ COMPLETED: bert-sweep")


def test_a_permanent_refusal_is_counted_and_retried_until_abandoned(
    world: AppWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.job("bert-sweep", IN_PROGRESS)
    world.api.outside.add(BERT)
    try:
        with caplog.at_level(logging.WARNING, logger="jobwatch-test"):
            failures = [world.tick().channels["slack"] for _ in range(5)]
    finally:
        world.api.outside.clear()
    assert [outcome.failed for outcome in failures] == [1, 1, 1, 1, 1]
    assert failures[-1].abandoned == 1
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert errors
    assert "not_in_channel" in errors[0].error  # type: ignore[attr-defined]
    assert "invite it there" in errors[0].error  # type: ignore[attr-defined]


class CrashAfterThread:
    """The state store, crashing once in ``mark_sent``: the tick dies after Slack took the message."""

    def __init__(self, store: DynamoStateStore) -> None:
        self._store = store
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def mark_sent(self, delivery: Any, *, now: Any) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("the invocation was killed")
        self._store.mark_sent(delivery, now=now)


def test_a_crash_after_the_thread_is_recorded_posts_no_second_parent(world: AppWorld) -> None:
    world.store = CrashAfterThread(world.store)
    world.job("bert-sweep", IN_PROGRESS)
    world.tick()
    assert world.store.crashed
    world.clock.tick(20)  # past the delivery lease
    world.tick()
    world.move("bert-sweep", COMPLETED)
    world.tick()

    [parent, reply] = world.api.messages
    assert reply.thread_ts == parent.ts
    assert world.post_count() == 2


def test_overlapping_ticks_post_each_parent_and_each_reply_once(world: AppWorld) -> None:
    names = [f"bert-{i}" for i in range(6)] + [f"t5-{i}" for i in range(6)]
    for name in names:
        world.job(name, IN_PROGRESS)
    world.clock.tick()

    def overlapping(width: int = 4) -> None:
        barrier = threading.Barrier(width)

        def run() -> None:
            barrier.wait()
            world.monitor().run_tick()

        threads = [threading.Thread(target=run) for _ in range(width)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        world.monitor().run_tick()  # and the same schedule event once more

    overlapping()
    for name in names:
        world.move(name, COMPLETED)
    world.clock.tick()
    overlapping()

    parents = world.api.parents()
    assert sorted(message.header for message in parents) == sorted(f"✅ COMPLETED: {name}" for name in names)
    for parent in parents:
        [reply] = world.api.replies(parent)
        assert reply.broadcast
        assert parent.channel == (BERT if "bert" in parent.header else DEFAULT)
    assert world.post_count() == 2 * len(names)
    assert sorted(world.email.keys()) == sorted((name, COMPLETED) for name in names)
