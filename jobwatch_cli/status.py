"""``jobwatch status``: what the monitor tracks, what it still owes or gave up on, when it last ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from job_monitor.adapters.dynamodb_operator import DynamoOperatorStore
from job_monitor.ports import JobRecord

from jobwatch_cli.deployment import Deployment
from jobwatch_cli.text import short, table, when

RECENT_FINISHED = 10
UNSETTLED = ("pending", "abandoned")


def state_store(deployment: Deployment) -> DynamoOperatorStore:
    settings = deployment.settings
    return DynamoOperatorStore(
        deployment.client("dynamodb"), table_name=settings.state_table_name, ttl_days=settings.record_ttl_days
    )


def gather(deployment: Deployment, *, now: datetime) -> dict[str, Any]:
    store = state_store(deployment)
    records = store.job_records()
    cursors = {kind: store.load_cursor(kind) for kind in deployment.settings.job_kinds}
    ticks = deployment.tick_history(now=now)
    return {
        "deployment": deployment.describe(),
        "last_tick": _iso(ticks.last_tick),
        "ticks_last_hour": ticks.ticks_last_hour,
        "tick_errors_last_hour": ticks.tick_errors_last_hour,
        "function_errors_last_hour": ticks.function_errors_last_hour,
        "discovery_cursors": {
            kind: _iso(cursor.after if cursor else None) for kind, cursor in cursors.items()
        },
        "jobs": [_job(record) for record in records],
        "messages": [
            {
                "job_name": record.name,
                "job_kind": record.kind,
                "status": record.notified_status,
                "channel": delivery.channel,
                "state": delivery.state,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            }
            for record in records
            for delivery in record.deliveries
            if delivery.state in UNSETTLED
        ],
        "alarms": [
            {
                "name": alarm["AlarmName"],
                "state": alarm.get("StateValue"),
                "since": _iso(alarm.get("StateUpdatedTimestamp")),
                "reason": alarm.get("StateReason"),
            }
            for alarm in deployment.alarms()
        ],
    }


def _job(record: JobRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind,
        "status": record.status,
        "running": record.running,
        "last_modified": _iso(record.last_modified),
        "updated_at": record.updated_at,
        "notified_status": record.notified_status,
        "deliveries": {delivery.channel: delivery.state for delivery in record.deliveries},
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def render(status: dict[str, Any], *, now: datetime) -> str:
    deployment = status["deployment"]
    running = [job for job in status["jobs"] if job["running"]]
    finished = sorted(
        (job for job in status["jobs"] if not job["running"]),
        key=lambda job: job["updated_at"] or "",
        reverse=True,
    )
    lines = [
        f"jobwatch: {_label(deployment)}",
        f"channels:   {', '.join(deployment['channels'])}",
        f"last tick:  {when(_parse(status['last_tick']), now)}; in the last hour "
        f"{status['ticks_last_hour']} ticks, {status['tick_errors_last_hour']} tick errors, "
        f"{status['function_errors_last_hour']} function errors",
        *(
            f"discovery:  {kind} jobs up to {when(_parse(cursor), now)} processed"
            for kind, cursor in status["discovery_cursors"].items()
        ),
        "",
        f"Jobs: {len(running)} running, {len(finished)} finished on record"
        + (f" (the {RECENT_FINISHED} latest shown)" if len(finished) > RECENT_FINISHED else ""),
    ]
    shown = running + finished[:RECENT_FINISHED]
    if shown:
        lines.append(
            table(
                ["JOB", "KIND", "STATUS", "LAST CHANGE", "MESSAGES"],
                [
                    [
                        job["name"],
                        job["kind"],
                        job["status"],
                        when(_parse(job["last_modified"]), now),
                        _deliveries(job),
                    ]
                    for job in shown
                ],
            )
        )
    lines += ["", f"Messages owed or abandoned: {len(status['messages'])}"]
    if status["messages"]:
        lines.append(
            table(
                ["JOB", "STATUS", "CHANNEL", "STATE", "ATTEMPTS", "LAST ERROR"],
                [
                    [
                        m["job_name"],
                        m["status"],
                        m["channel"],
                        m["state"],
                        m["attempts"],
                        short(m["last_error"]),
                    ]
                    for m in status["messages"]
                ],
            )
        )
        if any(m["state"] == "abandoned" for m in status["messages"]):
            lines.append("Fix the channel, then `jobwatch retry-abandoned` sends them again (once).")
    lines += ["", f"Alarms: {len(status['alarms'])}"]
    if status["alarms"]:
        lines.append(
            table(
                ["ALARM", "STATE", "SINCE"],
                [
                    [alarm["name"], alarm["state"], when(_parse(alarm["since"]), now)]
                    for alarm in status["alarms"]
                ],
            )
        )
    return "\n".join(lines)


def _label(deployment: dict[str, Any]) -> str:
    stack = f"stack {deployment['stack']}, " if deployment["stack"] else ""
    return f"{stack}function {deployment['function']}, {deployment['region']}"


def _deliveries(job: dict[str, Any]) -> str:
    if not job["deliveries"]:
        return "none"
    about = job["notified_status"] or job["status"]
    return f"{about}: " + ", ".join(f"{channel} {state}" for channel, state in job["deliveries"].items())


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
