"""The tick's delivery semantics, over the real DynamoDB state store (moto) and in-memory fakes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, ClassVar

import boto3
import pytest
from job_monitor import service
from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    INFERENCE_RECOMMENDER,
    PENDING,
    STOPPED,
    JobKey,
    JobReport,
    Recommendation,
)
from job_monitor.ports import MAX_RETRY_AFTER_SECONDS, Cursor, DeliveryFailed, JobSource
from job_monitor.settings import SettingsError
from moto import mock_aws

from tests.support.fakes import FakeJobSource, RecordingNotifier
from tests.support.monitor_world import START, TABLE, MonitorWorld, settings
from tests.support.tables import create_state_table


class World(MonitorWorld):
    """A monitor wired to moto DynamoDB, a fake SageMaker and two recording channels."""

    def __init__(self, **overrides: str) -> None:
        super().__init__(settings(**overrides))
        self.slack = RecordingNotifier("slack")

    def finish(self, name: str, status: str = COMPLETED, **extra: object) -> None:
        self.source.move(name, status, self.clock.now, completed_at=self.clock.now, **extra)


@pytest.fixture
def moto_table() -> Iterator[None]:
    """The state table in moto, for tests that build their own World."""
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        yield


@pytest.fixture
def world(moto_table: None) -> World:
    return World()


def test_first_tick_records_history_and_notifies_nothing(world: World) -> None:
    world.job("old-done", COMPLETED, minutes_ago=600)
    world.job("recent-failed", FAILED, minutes_ago=3)
    world.job("running", IN_PROGRESS)

    report = world.tick()

    assert report.baseline
    assert world.email.delivered == []
    assert world.slack.delivered == []
    assert world.tick().transitions == 0
    assert world.email.delivered == []


def test_running_job_that_completes_is_notified_once_per_channel(world: World) -> None:
    world.job("sweep-1", IN_PROGRESS)
    world.tick()
    world.finish("sweep-1", recommendations=(Recommendation(instance_type="ml.c5.xlarge"),))

    first = world.tick()
    again = world.tick()

    assert first.transitions == 1
    assert world.email.keys() == [("sweep-1", COMPLETED)]
    assert world.slack.keys() == [("sweep-1", COMPLETED)]
    assert world.email.delivered[0].recommendations[0].instance_type == "ml.c5.xlarge"
    assert again.transitions == 0
    assert again.channels["email"].sent == 0


def test_job_created_and_finished_between_two_ticks_is_notified(world: World) -> None:
    world.tick()
    world.clock.tick(2)
    world.job("quick", FAILED, minutes_ago=0.5, failure_reason="OOM")

    world.tick()

    assert world.email.keys() == [("quick", FAILED)]
    assert world.slack.delivered[0].failure_reason == "OOM"


def test_every_terminal_status_is_notified(world: World) -> None:
    for name in ("a", "b", "c"):
        world.job(name, PENDING)
    world.tick()
    world.finish("a", COMPLETED)
    world.finish("b", FAILED, failure_reason="boom")
    world.finish("c", STOPPED)

    world.tick()

    assert sorted(world.email.keys()) == [("a", COMPLETED), ("b", FAILED), ("c", STOPPED)]
    assert sorted(world.slack.keys()) == sorted(world.email.keys())


def test_slack_outage_does_not_block_or_repeat_email(world: World) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.finish("sweep")
    world.slack.down = True

    outage = world.tick()
    world.tick()
    world.slack.down = False
    recovered = world.tick()
    world.tick()

    assert world.email.keys() == [("sweep", COMPLETED)]
    assert world.slack.keys() == [("sweep", COMPLETED)]
    assert outage.channels["slack"].failed == 1
    assert outage.channels["email"].sent == 1
    assert recovered.channels["slack"].sent == 1
    assert recovered.channels["email"].sent == 0


def test_a_channel_that_never_recovers_is_abandoned_after_the_allowed_attempts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.finish("sweep")
    world.slack.down = True

    reports = [world.tick() for _ in range(5)]

    assert [r.channels["slack"].failed for r in reports] == [1, 1, 1, 0, 0]
    assert [r.channels["slack"].abandoned for r in reports] == [0, 0, 1, 0, 0]
    assert "notification abandoned" in caplog.text
    assert world.email.keys() == [("sweep", COMPLETED)]


def test_rate_limited_channel_waits_for_retry_after(world: World) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.finish("sweep")
    world.slack.failures.append(DeliveryFailed("429", retry_after=600))

    world.tick()
    waiting = world.tick(minutes=5)
    after = world.tick(minutes=6)

    assert waiting.channels["slack"].sent == 0
    assert waiting.channels["slack"].failed == 0
    assert after.channels["slack"].sent == 1


def test_describe_failure_loses_nothing_and_the_transition_is_picked_up_later(world: World) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.finish("sweep")
    world.source.fail_describe.add("sweep")

    failed = world.tick()
    delivered_while_failing = list(world.email.delivered)
    world.source.fail_describe.clear()
    world.clock.tick(60)  # well past the listing's overlap window
    recovered = world.tick()

    assert failed.errors == 1
    assert delivered_while_failing == []
    assert recovered.transitions == 1
    assert world.email.keys() == [("sweep", COMPLETED)]


def test_job_that_vanishes_or_is_deleted_is_dropped_quietly(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    world.job("vanishing", IN_PROGRESS)
    world.job("deleted", IN_PROGRESS)
    world.tick()
    del world.source.jobs["vanishing"]  # ResourceNotFound from now on; no listing shows it
    world.source.move("deleted", "DELETED", world.clock.now)

    reports = [world.tick() for _ in range(8)]  # past the reconciliation interval

    assert sum(report.dropped for report in reports) == 2
    assert sum(report.errors for report in reports) == 0
    assert world.email.delivered == []
    assert world.slack.delivered == []
    assert caplog.text.count("job no longer tracked") == 2


def test_same_event_twice_and_overlapping_ticks_send_each_message_once(world: World) -> None:
    names = [f"job-{i}" for i in range(12)]
    for name in names:
        world.job(name, IN_PROGRESS)
    world.tick()
    for name in names:
        world.finish(name)
    world.clock.tick()

    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        world.monitor().run_tick()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world.monitor().run_tick()  # and the same schedule event once more

    assert sorted(world.email.keys()) == sorted((name, COMPLETED) for name in names)
    assert sorted(world.slack.keys()) == sorted((name, COMPLETED) for name in names)


def test_started_notice_is_off_by_default_and_sent_once_when_enabled() -> None:
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        world = World(NOTIFY_STARTED="true")
        world.job("sweep", PENDING)
        world.tick()
        world.source.move("sweep", IN_PROGRESS, world.clock.now)
        world.tick()
        world.tick()
        world.finish("sweep")
        world.tick()

    assert world.email.keys() == [("sweep", IN_PROGRESS), ("sweep", COMPLETED)]


def test_explicit_job_names_are_watched_without_discovery() -> None:
    with mock_aws():
        create_state_table(boto3.client("dynamodb"), TABLE)
        world = World(DISCOVER_JOBS="false", JOB_NAMES="mine")
        world.job("mine", IN_PROGRESS)
        world.job("theirs", IN_PROGRESS)
        world.tick()
        world.finish("mine")
        world.finish("theirs")
        world.tick()
        world.tick()

    assert world.email.keys() == [("mine", COMPLETED)]
    assert "list" not in world.source.calls


def test_reconciliation_catches_a_change_the_listing_never_showed(world: World) -> None:
    world.job("quiet", IN_PROGRESS)
    world.tick()
    # The service finishes the job but its LastModifiedTime does not move: no listing shows it.
    world.source.jobs["quiet"] = JobReport(
        name="quiet",
        status=COMPLETED,
        region="us-east-1",
        created_at=START - timedelta(minutes=31),
        last_modified=START - timedelta(minutes=1),
    )

    for _ in range(8):  # 40 minutes: past the 30-minute reconciliation interval
        world.tick()

    assert world.email.keys() == [("quiet", COMPLETED)]


def test_cursor_never_passes_a_job_left_for_later(world: World) -> None:
    world.tick()
    world.job("a", COMPLETED, minutes_ago=2)
    world.job("b", COMPLETED, minutes_ago=1)
    world.source.fail_describe.add("a")

    world.tick()
    world.source.fail_describe.clear()
    world.clock.tick(120)
    world.tick()

    assert sorted(world.email.keys()) == [("a", COMPLETED), ("b", COMPLETED)]


def test_a_failed_listing_loses_nothing_and_does_not_end_the_baseline(world: World) -> None:
    world.job("running", IN_PROGRESS)
    world.source.fail_list = True
    failed = world.tick()
    world.source.fail_list = False
    baseline = world.tick()
    world.finish("running")
    world.tick()

    assert failed.errors == 1
    assert baseline.baseline
    assert world.email.keys() == [("running", COMPLETED)]


class SteppedMonotonic:
    """The service's ``time`` as the deadline sees it: it moves only when a describe says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class SlowSource(FakeJobSource):
    """Each describe takes ``seconds`` of the stepped clock, not of the machine's."""

    def __init__(self, clock: SteppedMonotonic, seconds: float) -> None:
        super().__init__()
        self._clock = clock
        self._seconds = seconds

    def describe(self, name: str) -> JobReport | None:
        self._clock.now += self._seconds
        return super().describe(name)


class GatedSource(FakeJobSource):
    """Each describe waits until ``width`` describes run at once, so the pool's bound is what is measured."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self._gate = threading.Barrier(width, timeout=30)
        self._lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def describe(self, name: str) -> JobReport | None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self._gate.wait()
        with self._lock:
            self.running -= 1
        return super().describe(name)


@pytest.mark.usefixtures("moto_table")
def test_a_tick_out_of_time_defers_the_rest_and_the_next_tick_finishes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One worker, no reconciliation: only discovery can find "b-early" again, so a cursor moved
    # past it would lose it.
    monotonic = SteppedMonotonic()
    monkeypatch.setattr(service, "time", monotonic)
    world = World(DESCRIBE_CONCURRENCY="1", RECONCILE_BATCH_SIZE="0")
    world.source = SlowSource(monotonic, seconds=1.0)
    world.job("b-early", IN_PROGRESS)
    world.job("a-late", IN_PROGRESS)
    world.tick()
    world.clock.tick(1)
    world.finish("b-early")
    world.clock.tick(20)  # more than the listing overlap apart
    world.finish("a-late")

    world.clock.tick(5)
    # "a-late" is handled first and takes a second; then the time is up for "b-early".
    out_of_time = world.monitor().run_tick(deadline=monotonic.now + 0.5)
    assert out_of_time.deferred == 1
    assert world.email.keys() == [("a-late", COMPLETED)]

    world.clock.tick(120)
    world.tick()
    assert world.email.keys() == world.slack.keys() == [("a-late", COMPLETED), ("b-early", COMPLETED)]


class RecordingPool(ThreadPoolExecutor):
    """The service's pool, remembering the bound each tick asked for."""

    bounds: ClassVar[list[int | None]] = []

    def __init__(self, max_workers: int | None = None, **kwargs: Any) -> None:
        RecordingPool.bounds.append(max_workers)
        super().__init__(max_workers=max_workers, **kwargs)


@pytest.mark.usefixtures("moto_table")
def test_describes_run_in_a_bounded_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    # The gate proves three describes do run at once; the recorded bound, that no more can.
    RecordingPool.bounds = []
    monkeypatch.setattr(service, "ThreadPoolExecutor", RecordingPool)
    world = World(DESCRIBE_CONCURRENCY="3")
    world.source = GatedSource(width=3)
    for index in range(12):
        world.job(f"sweep-{index:02d}", IN_PROGRESS)
    world.tick()
    for index in range(12):
        world.finish(f"sweep-{index:02d}")
    world.tick()

    assert len(world.email.keys()) == 12
    assert world.source.most_at_once == 3
    # Per tick: the describe pool (3), then the pool reading the sources (one source here).
    assert RecordingPool.bounds == [3, 1, 3, 1]


def test_a_future_timestamp_never_blinds_discovery(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.tick()
    world.job("from-the-future", COMPLETED, minutes_ago=-365 * 24 * 60)
    world.job("running", IN_PROGRESS)

    seen = world.tick()
    world.finish("running")
    world.tick()

    assert sorted(world.email.keys()) == [("from-the-future", COMPLETED), ("running", COMPLETED)]
    assert seen.implausible_timestamps == 1
    assert "implausible LastModifiedTime" in caplog.text
    assert world.store.load_cursor(INFERENCE_RECOMMENDER).after <= world.clock.now


def test_a_cursor_already_in_the_future_is_read_as_now(world: World) -> None:
    world.tick()
    world.store.save_cursor(INFERENCE_RECOMMENDER, Cursor(after=world.clock.now + timedelta(days=365)))
    world.job("running", IN_PROGRESS)
    world.tick()
    world.finish("running")

    world.tick()

    assert world.email.keys() == [("running", COMPLETED)]


def test_timestamps_within_the_allowed_skew_are_not_implausible(world: World) -> None:
    world.tick()
    world.job("slightly-ahead", COMPLETED, minutes_ago=-10)  # the overlap allows 15 minutes

    assert world.tick().implausible_timestamps == 0


def test_a_stale_listing_never_moves_a_finished_job_back(world: World) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.finish("sweep")
    world.tick()
    # One stale read inside the overlap window says the job is running again; then the truth.
    world.source.move("sweep", IN_PROGRESS, world.clock.now - timedelta(minutes=1))
    world.tick()
    world.source.move("sweep", COMPLETED, world.clock.now)
    world.tick()

    assert world.email.keys() == world.slack.keys() == [("sweep", COMPLETED)]


@pytest.mark.usefixtures("moto_table")
def test_one_failing_explicit_job_does_not_stop_discovery_of_the_others() -> None:
    world = World(NAME_CONTAINS="sweep", JOB_NAMES="pinned")
    world.job("pinned", IN_PROGRESS)
    world.job("sweep-1", IN_PROGRESS)
    world.tick()
    world.finish("sweep-1")
    world.source.fail_describe.add("pinned")

    report = world.tick()

    assert world.email.keys() == [("sweep-1", COMPLETED)]
    assert report.errors == 1


def test_a_huge_retry_hint_is_recorded_and_retried_within_the_bound(world: World) -> None:
    world.job("sweep", IN_PROGRESS)
    world.tick()
    world.slack.failures.append(DeliveryFailed("Slack rate-limited the webhook", retry_after=1e12))
    world.finish("sweep")

    failed = world.tick()
    world.tick(MAX_RETRY_AFTER_SECONDS / 60 + 1)

    assert failed.errors == 0
    assert failed.channels["slack"].failed == 1
    assert world.slack.keys() == [("sweep", COMPLETED)]


def test_a_safety_margin_that_leaves_no_time_fails_the_tick_naming_the_variable(world: World) -> None:
    with pytest.raises(SettingsError, match="TICK_SAFETY_MARGIN_SECONDS"):
        world.monitor().run_tick(deadline=float("-inf"))  # past whatever the clock says
    assert world.source.calls == []


# --- kinds of job, and an upgrade from the layout written before kinds existed ---------------


class TwoKinds(World):
    """A World watching Inference Recommender jobs (``source``) and AI recommendation jobs (``ai``)."""

    def __init__(self, **overrides: str) -> None:
        super().__init__(**overrides)
        self.ai = FakeJobSource(AI_RECOMMENDATION)

    def sources(self) -> list[JobSource]:
        return [self.source, self.ai]

    def ai_job(self, name: str, status: str, *, minutes_ago: float = 1) -> None:
        self.job(name, status, minutes_ago=minutes_ago, source=self.ai, job_type=None)

    def ai_finish(self, name: str, status: str = COMPLETED) -> None:
        self.ai.move(name, status, self.clock.now, completed_at=self.clock.now)


def item(pk: str) -> dict[str, Any] | None:
    return boto3.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": pk}}).get("Item")


def kinds_of(notifier: RecordingNotifier) -> list[tuple[str, str, str]]:
    return [(report.kind, report.name, report.status) for report in notifier.delivered]


def test_two_kinds_with_the_same_job_name_are_two_jobs(moto_table: None) -> None:
    world = TwoKinds()
    world.job("sizing", IN_PROGRESS)
    world.ai_job("sizing", IN_PROGRESS)
    world.tick()
    world.ai_finish("sizing")

    world.tick()
    world.finish("sizing", FAILED, failure_reason="OOM")
    world.tick()
    world.tick()

    assert kinds_of(world.email) == [
        (AI_RECOMMENDATION, "sizing", COMPLETED),
        (INFERENCE_RECOMMENDER, "sizing", FAILED),
    ]
    assert kinds_of(world.slack) == kinds_of(world.email)
    assert item("job#sizing")["status"]["S"] == FAILED
    assert item("job#ai-recommendation#sizing")["status"]["S"] == COMPLETED
    assert item("cursor") is not None
    assert item("cursor#ai-recommendation") is not None


def test_each_kind_has_its_own_first_run_baseline(moto_table: None) -> None:
    """An upgrade adds a kind: its history is not news, and the kind already watched goes on."""
    world = World()
    world.job("ir-running", IN_PROGRESS)
    world.tick()
    upgraded = TwoKinds()
    upgraded.clock = world.clock
    upgraded.source = world.source
    upgraded.ai_job("ai-done-before", COMPLETED, minutes_ago=3)
    upgraded.ai_job("ai-running", IN_PROGRESS)
    world.finish("ir-running")

    first = upgraded.tick()
    upgraded.ai_finish("ai-running")
    upgraded.tick()

    assert first.baseline
    assert kinds_of(upgraded.email) == [
        (INFERENCE_RECOMMENDER, "ir-running", COMPLETED),
        (AI_RECOMMENDATION, "ai-running", COMPLETED),
    ]


def test_a_kind_whose_listing_fails_holds_back_neither_the_other_kind_nor_its_cursor(
    moto_table: None,
) -> None:
    world = TwoKinds()
    world.job("ir", IN_PROGRESS)
    world.ai_job("ai", IN_PROGRESS)
    world.tick()
    cursor_before = world.store.load_cursor(INFERENCE_RECOMMENDER)
    world.source.fail_list = True
    world.ai_finish("ai")

    failing = world.tick()
    world.source.fail_list = False
    world.finish("ir")
    world.tick()

    assert failing.errors == 1
    assert kinds_of(world.email) == [
        (AI_RECOMMENDATION, "ai", COMPLETED),
        (INFERENCE_RECOMMENDER, "ir", COMPLETED),
    ]
    assert world.store.load_cursor(INFERENCE_RECOMMENDER).after > cursor_before.after
    assert world.store.load_cursor(AI_RECOMMENDATION).after > cursor_before.after


def test_state_written_before_kinds_existed_is_read_and_continued(world: World) -> None:
    """Items in the layout today's deployments hold: ``job#<name>`` without a kind, ``cursor``."""
    dynamodb = boto3.client("dynamodb")
    micros = int((world.clock.now - timedelta(minutes=10)).timestamp() * 1_000_000)
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "cursor"}, "modified_after": {"N": str(micros)}})
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "job#running"},
            "job_name": {"S": "running"},
            "status": {"S": IN_PROGRESS},
            "last_modified": {"N": str(micros)},
            "updated_at": {"S": world.clock.now.isoformat()},
            "active_shard": {"S": "active"},
            "reconciled_at": {"N": str(int(world.clock.now.timestamp()))},
        },
    )
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "job#done"},
            "job_name": {"S": "done"},
            "status": {"S": COMPLETED},
            "last_modified": {"N": str(micros)},
            "notified_status": {"S": COMPLETED},
        },
    )
    world.job("running", IN_PROGRESS, minutes_ago=10)
    world.job("done", COMPLETED, minutes_ago=10)

    quiet = world.tick()
    world.finish("running")
    world.tick()

    assert not quiet.baseline
    assert quiet.transitions == 0
    assert world.email.keys() == [("running", COMPLETED)]
    assert world.store.known_jobs([JobKey(INFERENCE_RECOMMENDER, "running")])
    assert item("job#running")["status"]["S"] == COMPLETED
    assert item("job#inference-recommender#running") is None


def test_job_names_of_each_kind_are_watched_without_discovery(moto_table: None) -> None:
    world = TwoKinds(DISCOVER_JOBS="false", JOB_NAMES="sizing,ai-recommendation/sizing")
    world.job("sizing", IN_PROGRESS)
    world.ai_job("sizing", IN_PROGRESS)
    world.ai_job("unnamed", IN_PROGRESS)
    world.tick()
    world.ai_finish("sizing")
    world.ai_finish("unnamed")

    world.tick()

    assert kinds_of(world.email) == [(AI_RECOMMENDATION, "sizing", COMPLETED)]
    assert "list" not in world.ai.calls
    assert world.ai.calls.count("describe:sizing") == 2


def test_a_message_owed_in_the_layout_before_kinds_is_delivered_once(world: World) -> None:
    """An upgrade mid-outage: today's item owes Slack a message, its report in today's JSON."""
    old_report = (
        '{"name":"owed","status":"FAILED","region":"us-east-1","job_type":"Default","model":"m",'
        '"description":null,"created_at":"2026-11-01T11:15:00+00:00","completed_at":null,'
        '"last_modified":"2026-11-01T11:55:00+00:00","failure_reason":"OOM","recommendations":[],'
        '"endpoint_performances":[],"latency_thresholds":[],"max_invocations_target":null}'
    )
    due = int(world.clock.now.timestamp())
    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "job#owed"},
            "job_name": {"S": "owed"},
            "status": {"S": FAILED},
            "notified_status": {"S": FAILED},
            "report": {"S": old_report},
            "deliveries": {
                "M": {
                    "email": {"M": {"state": {"S": "sent"}, "attempts": {"N": "1"}}},
                    "slack": {"M": {"state": {"S": "pending"}, "attempts": {"N": "3"}}},
                }
            },
            "outbox_shard": {"S": "owed"},
            "outbox_due": {"N": str(due)},
        },
    )

    world.tick()
    world.tick()

    assert world.slack.keys() == [("owed", FAILED)]
    assert world.slack.delivered[0].kind == INFERENCE_RECOMMENDER
    assert world.email.keys() == []
    assert "outbox_shard" not in item("job#owed")
