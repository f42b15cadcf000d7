"""The state store's operator queries and the requeue of an abandoned message, against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from job_monitor.adapters.dynamodb_operator import DynamoOperatorStore
from job_monitor.domain import COMPLETED, IN_PROGRESS, JobReport, JobSummary
from job_monitor.ports import Delivery
from moto import mock_aws

from tests.support.tables import create_state_table

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REPORT = JobReport(name="sweep", status=COMPLETED, region="us-east-1", last_modified=NOW)


@pytest.fixture
def store() -> Iterator[DynamoOperatorStore]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_state_table(client, "state")
        yield DynamoOperatorStore(client, table_name="state", ttl_days=30)


def delivery(channel: str, attempts: int = 0) -> Delivery:
    return Delivery(job_name="sweep", status=COMPLETED, channel=channel, attempts=attempts, report=REPORT)


def abandon_slack(store: DynamoOperatorStore) -> None:
    """Email sent, Slack given up after its last attempt: the outbox closes and drops the report."""
    assert store.open_transition(REPORT, previous=None, channels=("email", "slack"), now=NOW)
    for channel in ("email", "slack"):
        assert store.claim(delivery(channel), now=NOW, lease_seconds=900)
    store.mark_sent(delivery("email"), now=NOW)
    store.mark_failed(
        delivery("slack"), now=NOW, retry_at=NOW, give_up=True, error="Slack says the webhook is gone"
    )


def test_job_records_show_each_channel_with_its_last_error(store: DynamoOperatorStore) -> None:
    store.track(JobSummary(name="bert", status=IN_PROGRESS, last_modified=NOW), previous=None, now=NOW)
    abandon_slack(store)

    records = {record.name: record for record in store.job_records()}

    assert records["bert"].running
    assert records["bert"].deliveries == ()
    sweep = records["sweep"]
    assert not sweep.running
    assert sweep.notified_status == COMPLETED
    states = {d.channel: (d.state, d.attempts, d.last_error) for d in sweep.deliveries}
    assert states == {"email": ("sent", 1, None), "slack": ("abandoned", 1, "Slack says the webhook is gone")}
    assert sweep.report is None  # the closed outbox no longer holds it


def test_a_requeued_message_is_owed_again_with_a_fresh_budget_and_sent_once(
    store: DynamoOperatorStore,
) -> None:
    abandon_slack(store)
    [record] = store.job_records()
    later = NOW + timedelta(hours=1)

    assert store.requeue_abandoned(record, "slack", report=REPORT, now=later)

    owed = store.due_deliveries(now=later, limit=10)
    assert [(d.channel, d.attempts, d.report) for d in owed] == [("slack", 0, REPORT)]
    assert store.claim(owed[0], now=later, lease_seconds=900)
    assert not store.claim(owed[0], now=later, lease_seconds=900)
    store.mark_sent(owed[0], now=later)
    assert store.due_deliveries(now=later + timedelta(hours=1), limit=10) == []


def test_a_message_is_requeued_once_however_often_it_is_asked(store: DynamoOperatorStore) -> None:
    abandon_slack(store)
    [record] = store.job_records()

    assert store.requeue_abandoned(record, "slack", report=REPORT, now=NOW)
    assert not store.requeue_abandoned(record, "slack", report=REPORT, now=NOW)
    assert not store.requeue_abandoned(record, "email", report=REPORT, now=NOW)  # it was sent


def test_a_requeued_message_is_not_expired_by_ttl_while_owed(store: DynamoOperatorStore) -> None:
    abandon_slack(store)
    [record] = store.job_records()
    table = boto3.client("dynamodb")
    key = {"pk": {"S": "job#sweep"}}
    assert "expires_at" in table.get_item(TableName="state", Key=key)["Item"]

    store.requeue_abandoned(record, "slack", report=REPORT, now=NOW)

    assert "expires_at" not in table.get_item(TableName="state", Key=key)["Item"]


def test_a_report_for_another_status_is_refused(store: DynamoOperatorStore) -> None:
    abandon_slack(store)
    [record] = store.job_records()
    stale = JobReport(name="sweep", status=IN_PROGRESS, region="us-east-1")

    with pytest.raises(ValueError, match="IN_PROGRESS"):
        store.requeue_abandoned(record, "slack", report=stale, now=NOW)
