"""The state table as the operator's commands read and repair it, with the operator's credentials.

The function never imports this module: its role may not scan the table, and it has no need to.
``jobwatch status`` reads every job item; ``jobwatch retry-abandoned`` puts an abandoned message
back in the outbox, where the function's own claim and lease send it once (see dynamodb_state.py
for the item layout).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from job_monitor.adapters.dynamodb_state import (
    _ABANDONED,
    _LEGACY_KIND,
    _OWED,
    _PENDING,
    DynamoStateStore,
    _epoch,
    _from_micros,
    _is_conflict,
    _job_key,
    _plain,
)
from job_monitor.domain import JobReport
from job_monitor.ports import ChannelDelivery, JobRecord


class DynamoOperatorStore(DynamoStateStore):
    """Implements ports.OperatorStore: the state store plus the reads and the requeue operators need."""

    def job_records(self) -> list[JobRecord]:
        records = []
        for page in self._client.get_paginator("scan").paginate(TableName=self._table, ConsistentRead=True):
            for raw in page.get("Items", []):
                item = _plain(raw)
                if item["pk"].startswith("job#"):
                    records.append(_job_record(item))
        return sorted(records, key=lambda record: record.key)

    def requeue_abandoned(self, record: JobRecord, channel: str, *, report: JobReport, now: datetime) -> bool:
        """Back into the outbox, due now, so the next tick claims and sends it like any owed message.

        The stored report is kept when there is one (the outbox is still open for another channel);
        otherwise ``report`` takes its place. Conditional on the message still being abandoned for
        the same transition, so two operators retrying at once requeue it once.
        """
        if report.status != record.notified_status:
            raise ValueError(
                f"the report is for {report.status}, the abandoned message for {record.notified_status}"
            )
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_job_key(record.key),
                UpdateExpression=(
                    "SET deliveries.#ch.#state = :pending, deliveries.#ch.attempts = :zero, "
                    "outbox_shard = :owed, outbox_due = :now, #report = if_not_exists(#report, :report) "
                    "REMOVE deliveries.#ch.lease_until, expires_at"
                ),
                ConditionExpression="notified_status = :status AND deliveries.#ch.#state = :abandoned",
                ExpressionAttributeNames={"#ch": channel, "#state": "state", "#report": "report"},
                ExpressionAttributeValues={
                    ":pending": {"S": _PENDING},
                    ":abandoned": {"S": _ABANDONED},
                    ":zero": {"N": "0"},
                    ":owed": {"S": _OWED},
                    ":now": {"N": str(_epoch(now))},
                    ":report": {"S": report.to_json()},
                    ":status": {"S": record.notified_status},
                },
            )
        except ClientError as error:
            if _is_conflict(error):
                return False
            raise
        return True


def _job_record(item: dict[str, Any]) -> JobRecord:
    deliveries = tuple(
        ChannelDelivery(
            channel=channel,
            state=str(state.get("state", "unknown")),
            attempts=int(state.get("attempts", 0)),
            last_error=state.get("last_error"),
            settled_at=state.get("settled_at"),
            leased_until=datetime.fromtimestamp(state["lease_until"], tz=UTC)
            if "lease_until" in state
            else None,
        )
        for channel, state in sorted(item.get("deliveries", {}).items())
    )
    return JobRecord(
        name=item["job_name"],
        kind=item.get("job_kind") or _LEGACY_KIND,
        status=item["status"],
        last_modified=_from_micros(item["last_modified"]) if "last_modified" in item else None,
        updated_at=item.get("updated_at"),
        running="active_shard" in item,
        notified_status=item.get("notified_status"),
        deliveries=deliveries,
        report=JobReport.from_json(item["report"]) if "report" in item else None,
    )
