"""The state store's conditional writes, against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    IN_PROGRESS,
    INFERENCE_RECOMMENDER,
    JobKey,
    JobReport,
    JobSummary,
    KnownJob,
)
from job_monitor.ports import Cursor, Delivery, Thread
from moto import mock_aws

from tests.support.tables import create_state_table

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REPORT = JobReport(name="sweep", status=COMPLETED, region="us-east-1", last_modified=NOW)
IR = INFERENCE_RECOMMENDER


def key(name: str) -> JobKey:
    return JobKey(IR, name)


@pytest.fixture
def store() -> Iterator[DynamoStateStore]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_state_table(client, "state")
        yield DynamoStateStore(client, table_name="state", ttl_days=30)


def delivery(channel: str = "slack", attempts: int = 0) -> Delivery:
    return Delivery(job_name="sweep", status=COMPLETED, channel=channel, attempts=attempts, report=REPORT)


def open_sweep(store: DynamoStateStore) -> None:
    assert store.open_transition(REPORT, previous=None, channels=("email", "slack"), now=NOW)


def test_cursor_only_moves_forward(store: DynamoStateStore) -> None:
    assert store.load_cursor(IR) is None
    store.save_cursor(IR, Cursor(after=None))
    assert store.load_cursor(IR) == Cursor(after=None)
    store.save_cursor(IR, Cursor(after=NOW))
    store.save_cursor(IR, Cursor(after=NOW - timedelta(minutes=5)))
    assert store.load_cursor(IR) == Cursor(after=NOW)


def test_a_transition_is_opened_by_one_writer_only(store: DynamoStateStore) -> None:
    running = JobSummary(name="sweep", status=IN_PROGRESS, last_modified=NOW)
    assert store.track(running, previous=None, now=NOW)
    previous = KnownJob(name="sweep", status=IN_PROGRESS)
    assert store.open_transition(REPORT, previous=previous, channels=("email",), now=NOW)
    assert not store.open_transition(REPORT, previous=previous, channels=("email",), now=NOW)
    assert store.known_jobs([key("sweep"), key("other")])[key("sweep")].status == COMPLETED


def test_a_claimed_message_is_hidden_until_its_lease_expires(store: DynamoStateStore) -> None:
    open_sweep(store)
    assert store.claim(delivery(), now=NOW, lease_seconds=900)
    assert not store.claim(delivery(), now=NOW, lease_seconds=900)
    # The sender crashed before recording the send: after the lease, the message is owed again.
    later = NOW + timedelta(seconds=901)
    owed = {d.channel for d in store.due_deliveries(now=later, limit=10)}
    assert owed == {"email", "slack"}
    assert store.claim(delivery(), now=later, lease_seconds=900)


def test_outbox_closes_when_every_channel_is_settled(store: DynamoStateStore) -> None:
    open_sweep(store)
    for channel in ("email", "slack"):
        assert store.claim(delivery(channel), now=NOW, lease_seconds=60)
    store.mark_sent(delivery("email"), now=NOW)
    store.mark_failed(delivery("slack"), now=NOW, retry_at=NOW, give_up=False, error="503")
    assert [d.channel for d in store.due_deliveries(now=NOW, limit=10)] == ["slack"]
    assert store.claim(delivery("slack", attempts=1), now=NOW, lease_seconds=60)
    store.mark_failed(delivery("slack", attempts=1), now=NOW, retry_at=NOW, give_up=True, error="503")
    assert store.due_deliveries(now=NOW + timedelta(days=1), limit=10) == []
    item = boto3.client("dynamodb").get_item(TableName="state", Key={"pk": {"S": "job#sweep"}})["Item"]
    assert "expires_at" in item
    assert "report" not in item
    assert item["deliveries"]["M"]["slack"]["M"]["state"]["S"] == "abandoned"
    assert item["deliveries"]["M"]["slack"]["M"]["attempts"]["N"] == "2"


def test_dropping_a_job_keeps_a_message_still_owed(store: DynamoStateStore) -> None:
    open_sweep(store)
    store.drop(key("sweep"))
    assert {d.channel for d in store.due_deliveries(now=NOW, limit=10)} == {"email", "slack"}
    running = JobSummary(name="other", status=IN_PROGRESS, last_modified=NOW)
    store.track(running, previous=None, now=NOW)
    store.drop(key("other"))
    assert store.known_jobs([key("other")]) == {}


def test_reconciliation_returns_the_longest_unconfirmed_running_jobs(store: DynamoStateStore) -> None:
    for minutes, name in ((50, "oldest"), (40, "older"), (1, "fresh")):
        at = NOW - timedelta(minutes=minutes)
        store.track(JobSummary(name=name, status=IN_PROGRESS, last_modified=at), previous=None, now=at)
    due = store.due_for_reconciliation(IR, checked_before=NOW - timedelta(minutes=30), limit=10)
    assert [job.name for job in due] == ["oldest", "older"]
    store.mark_reconciled(key("oldest"), now=NOW)
    due = store.due_for_reconciliation(IR, checked_before=NOW - timedelta(minutes=30), limit=1)
    assert [job.name for job in due] == ["older"]


def test_many_known_jobs_are_read_in_batches(store: DynamoStateStore) -> None:
    names = [f"job-{i}" for i in range(250)]
    for name in names:
        store.track(JobSummary(name=name, status=IN_PROGRESS, last_modified=NOW), previous=None, now=NOW)
    assert set(store.known_jobs(key(name) for name in [*names, "missing"])) == {key(name) for name in names}


def test_each_kind_has_its_own_running_jobs_and_reconciliation(store: DynamoStateStore) -> None:
    at = NOW - timedelta(hours=1)
    store.track(JobSummary(name="same", status=IN_PROGRESS, last_modified=at), previous=None, now=at)
    ai = JobSummary(name="same", status=IN_PROGRESS, last_modified=at, kind=AI_RECOMMENDATION)
    store.track(ai, previous=None, now=at)

    assert [job.key for job in store.running_jobs(AI_RECOMMENDATION)] == [JobKey(AI_RECOMMENDATION, "same")]
    assert [job.key for job in store.running_jobs(IR)] == [key("same")]
    due = store.due_for_reconciliation(IR, checked_before=NOW, limit=10)
    assert [job.key for job in due] == [key("same")]
    assert set(store.known_jobs([key("same"), JobKey(AI_RECOMMENDATION, "same")])) == {
        key("same"),
        JobKey(AI_RECOMMENDATION, "same"),
    }


def test_each_kind_has_its_own_cursor(store: DynamoStateStore) -> None:
    store.save_cursor(IR, Cursor(after=NOW))
    assert store.load_cursor(AI_RECOMMENDATION) is None
    store.save_cursor(AI_RECOMMENDATION, Cursor(after=NOW - timedelta(days=1)))
    assert store.load_cursor(IR) == Cursor(after=NOW)
    assert store.load_cursor(AI_RECOMMENDATION) == Cursor(after=NOW - timedelta(days=1))


RUNNING = JobReport(name="sweep", status=IN_PROGRESS, region="us-east-1", last_modified=NOW)
THREAD = Thread(channel_id="C0DEFAULT01", ts="1764400001.000001")


def test_a_thread_recorded_with_the_parent_is_handed_back_with_the_finish(store: DynamoStateStore) -> None:
    assert store.open_transition(RUNNING, previous=None, channels=("slack",), now=NOW)
    parent = Delivery(job_name="sweep", status=IN_PROGRESS, channel="slack", attempts=0, report=RUNNING)
    claimed = store.claim(parent, now=NOW, lease_seconds=60)
    assert claimed is not None
    assert claimed.thread is None
    store.record_thread(claimed, THREAD)
    store.mark_sent(claimed, now=NOW)

    previous = KnownJob(name="sweep", status=IN_PROGRESS)
    assert store.open_transition(REPORT, previous=previous, channels=("email", "slack"), now=NOW)
    [email, slack] = store.due_deliveries(now=NOW, limit=10)
    assert (email.thread, slack.thread) == (None, THREAD)
    final = store.claim(delivery("slack"), now=NOW, lease_seconds=60)
    assert final is not None
    assert final.thread == THREAD
    assert store.claim(delivery("slack"), now=NOW, lease_seconds=60) is None  # leased: one sender


def test_a_thread_is_recorded_on_an_item_written_before_threads_existed(store: DynamoStateStore) -> None:
    assert store.open_transition(RUNNING, previous=None, channels=("slack",), now=NOW)
    client = boto3.client("dynamodb")
    client.update_item(TableName="state", Key={"pk": {"S": "job#sweep"}}, UpdateExpression="REMOVE threads")
    parent = Delivery(job_name="sweep", status=IN_PROGRESS, channel="slack", attempts=0, report=RUNNING)

    store.record_thread(parent, THREAD)

    claimed = store.claim(parent, now=NOW, lease_seconds=60)
    assert claimed is not None
    assert claimed.thread == THREAD


def test_recording_a_thread_for_a_forgotten_job_creates_nothing(store: DynamoStateStore) -> None:
    parent = Delivery(job_name="gone", status=IN_PROGRESS, channel="slack", attempts=0, report=RUNNING)
    store.record_thread(parent, THREAD)
    assert boto3.client("dynamodb").scan(TableName="state")["Items"] == []


def test_settled_entries_whose_outbox_was_never_closed_cannot_hide_owed_messages(
    store: DynamoStateStore,
) -> None:
    """A crash between the last settle and closing the outbox leaves a settled entry in the index."""
    client = boto3.client("dynamodb")
    for number in range(5):
        report = JobReport(name=f"done-{number}", status=COMPLETED, region="us-east-1", last_modified=NOW)
        assert store.open_transition(report, previous=None, channels=("slack",), now=NOW)
        client.update_item(
            TableName="state",
            Key={"pk": {"S": f"job#done-{number}"}},
            UpdateExpression="SET deliveries.slack.#state = :sent",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sent": {"S": "sent"}},
        )
    later = NOW + timedelta(minutes=5)
    owed = JobReport(name="owed", status=COMPLETED, region="us-east-1", last_modified=later)
    assert store.open_transition(owed, previous=None, channels=("slack",), now=later)

    first = store.due_deliveries(now=later, limit=5)  # the settled entries fill the page
    second = store.due_deliveries(now=later, limit=5)

    assert first == []
    assert [delivery.job_name for delivery in second] == ["owed"]
    closed = client.get_item(TableName="state", Key={"pk": {"S": "job#done-0"}})["Item"]
    assert "outbox_shard" not in closed
    assert "expires_at" in closed
