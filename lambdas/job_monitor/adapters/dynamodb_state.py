"""The state table: one item per job, one cursor item, and conditional writes for exactly-once.

Item layout (partition key ``pk``), keyed on a job's full identity (JobKey):
- ``job#<name>`` for an Inference Recommender job (the layout from before jobwatch knew other
  kinds, kept so an upgraded deployment continues where it was), ``job#<kind>#<name>`` for any
  other kind (job names cannot contain ``#``, so the two forms never meet): ``job_kind``,
  ``job_name``, ``status``, ``last_modified``; while running, ``active_shard``/``reconciled_at``
  (the sparse ``active-index``; the shard is ``active`` for Inference Recommender, ``active#<kind>``
  for the others, so each kind's running jobs are one query); while a message is owed, ``notified_status``, ``report`` (the
  frozen JobReport), ``deliveries`` (per channel: state, attempts, lease) and
  ``outbox_shard``/``outbox_due`` (the sparse ``outbox-index``); ``threads`` (per channel that
  keeps threads: the Slack channel ID and ``ts`` of the job's parent message); once finished and
  delivered, ``expires_at`` for TTL.
- ``cursor`` (Inference Recommender) and ``cursor#<kind>``: ``modified_after`` (epoch
  microseconds), where that kind's discovery resumes.

Those are the keys of the function's own account and region (Origin HOME), unchanged since before
jobwatch watched other accounts and regions. A job elsewhere appends its origin to the key of its
kind: ``job#<kind>#<name>#<account>#<region>`` (``-`` for the function's own account or region),
with ``job_account``/``job_region`` on the item; its cursor is ``cursor#<kind>#<account>#<region>``
and its running shard ``active#<kind>#<account>#<region>``. Every source thus has its own cursor
and its own first-run baseline.

A source that could not be read has a health item of its own, ``source#<kind>`` at home and
``source#<kind>#<account>#<region>`` elsewhere: ``failing_since``, ``failures`` (reads failed in a
row), ``last_error``, ``fix``, ``last_failure_at``, and ``recovered_at`` once a read succeeds again.
It is written only by a failed read and by the first good read after one; it is never the cursor
item, so a failure cannot move a cursor nor stand in for a first run that never happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from job_monitor.domain import (
    HOME,
    INFERENCE_RECOMMENDER,
    JobKey,
    JobReport,
    JobSummary,
    KnownJob,
    Origin,
    is_terminal,
)
from job_monitor.ports import Cursor, Delivery, SourceHealth, SourceState, Thread

ACTIVE_INDEX = "active-index"
OUTBOX_INDEX = "outbox-index"
_ACTIVE = "active"
_OWED = "owed"
_PENDING = "pending"
_SENT = "sent"
_ABANDONED = "abandoned"
# The kind whose items and cursor keep the key forms they had before kinds existed.
_LEGACY_KIND = INFERENCE_RECOMMENDER
_BATCH_GET_LIMIT = 100
_BATCH_GET_ROUNDS = 5
_ERROR_TEXT_LIMIT = 1000  # a source's last error and fix, as stored

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _where(origin: Origin) -> str:
    """The key suffix of a job or source away from home; empty at home (today's keys)."""
    if origin.is_home:
        return ""
    return f"#{origin.account or '-'}#{origin.region or '-'}"


def _job_key(key: JobKey) -> dict[str, Any]:
    if key.kind == _LEGACY_KIND and key.origin.is_home:
        return {"pk": {"S": f"job#{key.name}"}}
    return {"pk": {"S": f"job#{key.kind}#{key.name}{_where(key.origin)}"}}


def _cursor_key(kind: str, origin: Origin) -> dict[str, Any]:
    if kind == _LEGACY_KIND and origin.is_home:
        return {"pk": {"S": "cursor"}}
    return {"pk": {"S": f"cursor#{kind}{_where(origin)}"}}


def _health_key(kind: str, origin: Origin) -> dict[str, Any]:
    return {"pk": {"S": f"source#{kind}{_where(origin)}"}}


def _active_shard(kind: str, origin: Origin) -> str:
    if kind == _LEGACY_KIND and origin.is_home:
        return _ACTIVE
    return f"{_ACTIVE}#{kind}{_where(origin)}"


def _known_job(item: dict[str, Any]) -> KnownJob:
    """A plain item as KnownJob; an item written before kinds existed has no ``job_kind``, and one
    of the function's own account and region has no ``job_account``/``job_region``."""
    return KnownJob(
        name=item["job_name"],
        status=item["status"],
        kind=item.get("job_kind") or _LEGACY_KIND,
        last_modified=_from_micros(item["last_modified"]) if "last_modified" in item else None,
        origin=Origin(account=item.get("job_account", ""), region=item.get("job_region", "")),
    )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _from_micros(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)


def _is_conflict(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoStateStore:
    """Implements ports.StateStore over a ``boto3.client("dynamodb")``."""

    def __init__(self, client: Any, *, table_name: str, ttl_days: int) -> None:
        self._client = client
        self._table = table_name
        self._ttl = timedelta(days=ttl_days)

    # --- cursor -------------------------------------------------------------------------------

    def load_cursor(self, kind: str, origin: Origin = HOME) -> Cursor | None:
        return self.load_source(kind, origin).cursor

    def load_source(self, kind: str, origin: Origin = HOME) -> SourceState:
        cursor_pk, health_pk = _cursor_key(kind, origin)["pk"]["S"], _health_key(kind, origin)["pk"]["S"]
        items = {item["pk"]: item for item in self._get_many([cursor_pk, health_pk])}
        cursor = None
        if cursor_pk in items:
            after = items[cursor_pk].get("modified_after")
            cursor = Cursor(after=_from_micros(after) if after is not None else None)
        health = _source_health(items[health_pk]) if health_pk in items else None
        return SourceState(cursor=cursor, health=health)

    def record_source_failure(
        self, kind: str, origin: Origin, *, error: str, fix: str, now: datetime
    ) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_health_key(kind, origin),
            UpdateExpression=(
                "SET failing_since = if_not_exists(failing_since, :now), last_failure_at = :now, "
                "last_error = :error, fix = :fix ADD failures :one REMOVE recovered_at"
            ),
            ExpressionAttributeValues={
                ":now": {"S": now.isoformat()},
                ":error": {"S": error[:_ERROR_TEXT_LIMIT]},
                ":fix": {"S": fix[:_ERROR_TEXT_LIMIT]},
                ":one": {"N": "1"},
            },
        )

    def record_source_recovery(self, kind: str, origin: Origin, *, now: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_health_key(kind, origin),
                UpdateExpression="SET recovered_at = :now REMOVE failing_since, failures",
                ConditionExpression="attribute_exists(failing_since)",
                ExpressionAttributeValues={":now": {"S": now.isoformat()}},
            )
        except ClientError as error:
            if not _is_conflict(error):  # another tick recorded the recovery first
                raise

    def save_cursor(self, kind: str, cursor: Cursor, origin: Origin = HOME) -> None:
        item: dict[str, Any] = dict(_cursor_key(kind, origin))
        values: dict[str, Any] = {}
        if cursor.after is None:
            condition = "attribute_not_exists(pk)"
        else:
            item["modified_after"] = {"N": str(_micros(cursor.after))}
            condition = (
                "attribute_not_exists(pk) OR attribute_not_exists(modified_after) OR modified_after < :new"
            )
            values[":new"] = item["modified_after"]
        arguments: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            arguments["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(**arguments)
        except ClientError as error:
            if not _is_conflict(error):  # another tick already moved it further: keep theirs
                raise

    # --- jobs ---------------------------------------------------------------------------------

    def known_jobs(self, keys: Iterable[JobKey]) -> dict[JobKey, KnownJob]:
        unique = [_job_key(key)["pk"]["S"] for key in dict.fromkeys(keys)]
        items = self._get_many(
            unique,
            ProjectionExpression="job_name, job_kind, job_account, job_region, #status, last_modified",
            ExpressionAttributeNames={"#status": "status"},
        )
        return {job.key: job for job in map(_known_job, items)}

    def _get_many(self, keys: list[str], **projection: Any) -> list[dict[str, Any]]:
        """The items of these partition keys that exist, as plain Python, read consistently."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [{"pk": {"S": key}} for key in keys[start : start + _BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                    **projection,
                }
            }
            for _ in range(_BATCH_GET_ROUNDS):
                response = self._client.batch_get_item(RequestItems=request)
                found += [_plain(item) for item in response.get("Responses", {}).get(self._table, [])]
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after repeated BatchGetItem rounds")
        return found

    def track(self, summary: JobSummary, *, previous: KnownJob | None, now: datetime) -> bool:
        update = _StatusUpdate(summary.key, summary.status, summary.last_modified, now, self._ttl)
        return self._update(update, previous)

    def open_transition(
        self, report: JobReport, *, previous: KnownJob | None, channels: Iterable[str], now: datetime
    ) -> bool:
        update = _StatusUpdate(report.key, report.status, report.summary().last_modified, now, self._ttl)
        update.set(
            notified_status=report.status,
            report=report.to_json(),
            deliveries={channel: {"state": _PENDING, "attempts": 0} for channel in channels},
            outbox_shard=_OWED,
            outbox_due=_epoch(now),
        )
        update.set_if_absent(threads={})
        update.remove("expires_at")
        return self._update(update, previous)

    def _update(self, update: _StatusUpdate, previous: KnownJob | None) -> bool:
        if previous is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#status = :previous"
            update.values[":previous"] = _serializer.serialize(previous.status)
        try:
            self._client.update_item(TableName=self._table, **update.arguments(condition))
        except ClientError as error:
            if _is_conflict(error):
                return False
            raise
        return True

    def drop(self, key: JobKey) -> None:
        """Forget a job, unless a message about it is still owed: that one is still delivered."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_job_key(key),
                ConditionExpression="attribute_not_exists(outbox_shard)",
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise
            self._client.update_item(
                TableName=self._table,
                Key=_job_key(key),
                UpdateExpression="REMOVE active_shard, reconciled_at",
            )

    # --- outbox -------------------------------------------------------------------------------

    def due_deliveries(self, *, now: datetime, limit: int) -> list[Delivery]:
        owed: list[Delivery] = []
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=OUTBOX_INDEX,
            KeyConditionExpression="outbox_shard = :owed AND outbox_due <= :now",
            ExpressionAttributeValues={":owed": {"S": _OWED}, ":now": {"N": str(_epoch(now))}},
            PaginationConfig={"MaxItems": limit, "PageSize": limit},
        )
        for page in pages:
            for raw in page.get("Items", []):
                item = _plain(raw)
                if all(entry.get("state") != _PENDING for entry in item.get("deliveries", {}).values()):
                    # Settled, but the invocation that settled it died before closing its outbox
                    # entry: close it now, or such entries would pile up at the head of the index
                    # and hide the messages still owed behind them.
                    self._close_outbox(item, now)
                    continue
                report = JobReport.from_json(item["report"])
                threads = item.get("threads", {})
                for channel, state in sorted(item.get("deliveries", {}).items()):
                    lease = state.get("lease_until")
                    if state.get("state") == _PENDING and (lease is None or lease < _epoch(now)):
                        owed.append(
                            Delivery(
                                job_name=item["job_name"],
                                status=item["notified_status"],
                                channel=channel,
                                attempts=int(state.get("attempts", 0)),
                                report=report,
                                thread=_thread(threads.get(channel)),
                            )
                        )
        return owed

    def claim(self, delivery: Delivery, *, now: datetime, lease_seconds: int) -> Delivery | None:
        lease = _epoch(now) + lease_seconds
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_job_key(delivery.key),
                UpdateExpression="SET deliveries.#ch.lease_until = :lease, outbox_due = :lease",
                ConditionExpression=(
                    "notified_status = :status AND deliveries.#ch.#state = :pending "
                    "AND (attribute_not_exists(deliveries.#ch.lease_until) OR deliveries.#ch.lease_until < :now)"
                ),
                ExpressionAttributeNames={"#ch": delivery.channel, "#state": "state"},
                ExpressionAttributeValues={
                    ":lease": {"N": str(lease)},
                    ":now": {"N": str(_epoch(now))},
                    ":status": {"S": delivery.status},
                    ":pending": {"S": _PENDING},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _is_conflict(error):
                return None
            raise
        threads = _plain(response["Attributes"]).get("threads", {})
        return replace(delivery, thread=_thread(threads.get(delivery.channel)))

    def record_thread(self, delivery: Delivery, thread: Thread) -> None:
        """One write, made before ``mark_sent``: a crash between the two leaves the thread known."""
        value = {"M": {"channel_id": {"S": thread.channel_id}, "ts": {"S": thread.ts}}}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_job_key(delivery.key),
                UpdateExpression="SET #threads.#ch = :thread",
                ConditionExpression="attribute_exists(#threads)",
                ExpressionAttributeNames={"#threads": "threads", "#ch": delivery.channel},
                ExpressionAttributeValues={":thread": value},
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise
            # An item written before threads existed: the map is created with this thread in it.
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_job_key(delivery.key),
                    UpdateExpression="SET #threads = :threads",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#threads": "threads"},
                    ExpressionAttributeValues={":threads": {"M": {delivery.channel: value}}},
                )
            except ClientError as failure:
                if not _is_conflict(failure):  # the job was forgotten meanwhile: nothing to record
                    raise

    def mark_sent(self, delivery: Delivery, *, now: datetime) -> None:
        self._settle(delivery, state=_SENT, due=now, now=now, error=None)

    def mark_failed(
        self, delivery: Delivery, *, now: datetime, retry_at: datetime, give_up: bool, error: str
    ) -> None:
        self._settle(delivery, state=_ABANDONED if give_up else _PENDING, due=retry_at, now=now, error=error)

    def _settle(
        self, delivery: Delivery, *, state: str, due: datetime, now: datetime, error: str | None
    ) -> None:
        """Record one attempt's outcome and release the lease; close the outbox when nothing is owed."""
        values: dict[str, Any] = {
            ":state": {"S": state},
            ":attempts": {"N": str(delivery.attempts + 1)},
            ":due": {"N": str(_epoch(due))},
            ":status": {"S": delivery.status},
            ":at": {"S": now.isoformat()},
        }
        expression = (
            "SET deliveries.#ch.#state = :state, deliveries.#ch.attempts = :attempts, "
            "deliveries.#ch.settled_at = :at, outbox_due = :due"
        )
        if error is not None:
            expression += ", deliveries.#ch.last_error = :error"
            values[":error"] = {"S": error}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_job_key(delivery.key),
                UpdateExpression=expression + " REMOVE deliveries.#ch.lease_until",
                ConditionExpression="notified_status = :status",
                ExpressionAttributeNames={"#ch": delivery.channel, "#state": "state"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as failure:
            if _is_conflict(failure):  # a newer transition replaced this one; nothing left to settle
                return
            raise
        item = _plain(response["Attributes"])
        if all(entry.get("state") != _PENDING for entry in item.get("deliveries", {}).values()):
            self._close_outbox(item, now)

    def _close_outbox(self, item: dict[str, Any], now: datetime) -> None:
        channels = sorted(item.get("deliveries", {}))
        names = {f"#c{i}": channel for i, channel in enumerate(channels)} | {"#state": "state"}
        settled = " AND ".join(f"deliveries.#c{i}.#state <> :pending" for i in range(len(channels)))
        expression = "REMOVE outbox_shard, outbox_due, report"
        values: dict[str, Any] = {":status": {"S": item["notified_status"]}, ":pending": {"S": _PENDING}}
        if is_terminal(item.get("status", "")):
            expression = "SET expires_at = :expires " + expression
            values[":expires"] = {"N": str(_epoch(now + self._ttl))}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": item["pk"]}},
                UpdateExpression=expression,
                ConditionExpression="notified_status = :status" + (f" AND {settled}" if settled else ""),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise

    # --- reconciliation -----------------------------------------------------------------------

    def running_jobs(self, kind: str, origin: Origin = HOME) -> list[KnownJob]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="active_shard = :active",
            ExpressionAttributeValues={":active": {"S": _active_shard(kind, origin)}},
        )
        return [_known_job(_plain(raw)) for page in pages for raw in page.get("Items", [])]

    def due_for_reconciliation(
        self, kind: str, *, checked_before: datetime, limit: int, origin: Origin = HOME
    ) -> list[KnownJob]:
        response = self._client.query(
            TableName=self._table,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="active_shard = :active AND reconciled_at < :before",
            ExpressionAttributeValues={
                ":active": {"S": _active_shard(kind, origin)},
                ":before": {"N": str(_epoch(checked_before))},
            },
            Limit=limit,
        )
        return [_known_job(_plain(raw)) for raw in response.get("Items", [])]

    def mark_reconciled(self, key: JobKey, *, now: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_job_key(key),
                UpdateExpression="SET reconciled_at = :now",
                ConditionExpression="attribute_exists(active_shard)",
                ExpressionAttributeValues={":now": {"N": str(_epoch(now))}},
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise


class _StatusUpdate:
    """Builds the UpdateItem that records a job's status and its place in the sparse indexes."""

    def __init__(
        self, key: JobKey, status: str, last_modified: datetime, now: datetime, ttl: timedelta
    ) -> None:
        self.names: dict[str, str] = {"#status": "status"}
        self.values: dict[str, Any] = {}
        self._sets: list[str] = ["#status = :status"]
        self._removes: list[str] = []
        self.values[":status"] = _serializer.serialize(status)
        self.set(
            job_name=key.name,
            job_kind=key.kind,
            last_modified=_micros(last_modified),
            updated_at=now.isoformat(),
        )
        if key.origin.account:
            self.set(job_account=key.origin.account)
        if key.origin.region:
            self.set(job_region=key.origin.region)
        self._key = key
        if is_terminal(status):
            self.set(expires_at=_epoch(now + ttl))
            self.remove("active_shard", "reconciled_at")
        else:
            self.set(active_shard=_active_shard(key.kind, key.origin), reconciled_at=_epoch(now))

    def set(self, **pairs: Any) -> None:
        for key, item in pairs.items():
            self._sets.append(f"#{key} = :{key}")
            self.names[f"#{key}"] = key
            self.values[f":{key}"] = _serializer.serialize(_to_dynamo(item))

    def set_if_absent(self, **pairs: Any) -> None:
        for key, item in pairs.items():
            self._sets.append(f"#{key} = if_not_exists(#{key}, :{key})")
            self.names[f"#{key}"] = key
            self.values[f":{key}"] = _serializer.serialize(_to_dynamo(item))

    def remove(self, *attributes: str) -> None:
        for attribute in attributes:
            if attribute in self._removes:
                continue
            self._removes.append(attribute)
            self._sets = [part for part in self._sets if not part.startswith(f"#{attribute} =")]

    def arguments(self, condition: str) -> dict[str, Any]:
        expression = "SET " + ", ".join(self._sets)
        if self._removes:
            expression += " REMOVE " + ", ".join(self._removes)
        used_names = {
            key: value for key, value in self.names.items() if key in expression or key in condition
        }
        used_values = {
            key: value for key, value in self.values.items() if key in expression or key in condition
        }
        return {
            "Key": _job_key(self._key),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": used_names,
            "ExpressionAttributeValues": used_values,
        }


def _source_health(item: dict[str, Any]) -> SourceHealth:
    def moment(name: str) -> datetime | None:
        return datetime.fromisoformat(item[name]) if name in item else None

    return SourceHealth(
        failing_since=moment("failing_since"),
        failures=int(item.get("failures", 0)),
        last_error=item.get("last_error"),
        fix=item.get("fix"),
        last_failure_at=moment("last_failure_at"),
        recovered_at=moment("recovered_at"),
    )


def _thread(value: Any) -> Thread | None:
    if not isinstance(value, dict) or "channel_id" not in value or "ts" not in value:
        return None
    return Thread(channel_id=str(value["channel_id"]), ts=str(value["ts"]))


def _to_dynamo(value: Any) -> Any:
    """Numbers as Decimal, recursively, as DynamoDB's serializer requires."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items()}
    return value


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain Python, numbers as int."""
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    return value
