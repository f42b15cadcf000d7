"""``jobwatch status``: what the monitor tracks, what it still owes or gave up on, when it last ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from job_monitor.adapters.dynamodb_operator import DynamoOperatorStore
from job_monitor.domain import Origin
from job_monitor.ports import JobRecord, SourceState
from job_monitor.sources import SourcePlace, watched_sources

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
    home_account = deployment.function_arn.split(":")[4]
    places = watched_sources(deployment.settings, home_account)
    states = [(place, store.load_source(place.key.kind, place.key.origin)) for place in places]
    ticks = deployment.tick_history(now=now)
    where = _Where(home_account, deployment.settings.region)
    return {
        "deployment": deployment.describe(),
        "last_tick": _iso(ticks.last_tick),
        "ticks_last_hour": ticks.ticks_last_hour,
        "tick_errors_last_hour": ticks.tick_errors_last_hour,
        "function_errors_last_hour": ticks.function_errors_last_hour,
        "many_sources": deployment.settings.many_sources,
        "sources": [_source(place, state, last_tick=ticks.last_tick) for place, state in states],
        "jobs": [_job(record, where) for record in records],
        "messages": [
            {
                "job_name": record.name,
                "job_kind": record.kind,
                **where(record.origin),
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


class _Where:
    """A job's account and region in full: the function's own where its origin leaves them empty."""

    def __init__(self, home_account: str, home_region: str) -> None:
        self._account, self._region = home_account, home_region

    def __call__(self, origin: Origin) -> dict[str, str]:
        return {"account": origin.account or self._account, "region": origin.region or self._region}


def _source(place: SourcePlace, state: SourceState, *, last_tick: datetime | None) -> dict[str, Any]:
    """One source as an operator needs it: how far its listing reached, when it was last read, and
    whether it fails now, with the last error and what to fix.

    Only a change of health is recorded, so a source that is not failing was read by every tick
    since its last failure (but one that ran out of time first, counted in TickDeferred): its last
    good read is the last tick. A failing one was last read before it began failing, or never if
    it has no cursor.
    """
    health = state.health
    failing = health is not None and health.failing
    read = state.cursor is not None
    return {
        "source": place.name,
        "account": place.account,
        "region": place.region,
        "kind": place.key.kind,
        "read": read,
        "cursor": _iso(state.cursor.after) if state.cursor else None,
        "failing": failing,
        "last_read_ok": _iso(last_tick) if read and not failing else None,
        "failing_since": _iso(health.failing_since) if health else None,
        "failures_in_a_row": health.failures if health else 0,
        "last_error": health.last_error if health else None,
        "fix": health.fix if health else None,
        "last_failure_at": _iso(health.last_failure_at) if health else None,
        "recovered_at": _iso(health.recovered_at) if health else None,
    }


def _job(record: JobRecord, where: _Where) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind,
        **where(record.origin),
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
        "",
        *_sources(status["sources"], now),
        "",
        f"Jobs: {len(running)} running, {len(finished)} finished on record"
        + (f" (the {RECENT_FINISHED} latest shown)" if len(finished) > RECENT_FINISHED else ""),
    ]
    # Where a job runs matters once jobwatch watches more than its own account and region.
    many = status["many_sources"]
    where_header = ["ACCOUNT/REGION"] if many else []

    def where(row: dict[str, Any]) -> list[str]:
        return [f"{row['account']}/{row['region']}"] if many else []

    shown = running + finished[:RECENT_FINISHED]
    if shown:
        lines.append(
            table(
                [
                    "JOB",
                    *where_header,
                    "KIND",
                    "STATUS",
                    "LAST CHANGE",
                    "MESSAGES",
                ],
                [
                    [
                        job["name"],
                        *where(job),
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
                [
                    "JOB",
                    *where_header,
                    "STATUS",
                    "CHANNEL",
                    "STATE",
                    "ATTEMPTS",
                    "LAST ERROR",
                ],
                [
                    [
                        m["job_name"],
                        *where(m),
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


def _sources(sources: list[dict[str, Any]], now: datetime) -> list[str]:
    """The sources table, then what to fix for each failing source, in full."""
    failing = [source for source in sources if source["failing"]]
    lines = [
        f"Sources: {len(sources)} watched (account/region/kind), {len(failing)} failing",
        table(
            ["SOURCE", "LISTED UP TO", "LAST READ OK", "HEALTH"],
            [
                [
                    source["source"],
                    _cursor(source, now),
                    _last_read(source, now),
                    _health(source, now),
                ]
                for source in sources
            ],
        ),
    ]
    for source in failing:
        lines.append(f"fix {source['source']}: {source['fix']}")
    return lines


def _cursor(source: dict[str, Any], now: datetime) -> str:
    if not source["read"]:
        return "not read yet"
    return when(_parse(source["cursor"]), now) if source["cursor"] else "no job listed yet"


def _last_read(source: dict[str, Any], now: datetime) -> str:
    if source["last_read_ok"]:
        return when(_parse(source["last_read_ok"]), now)
    if source["failing"] and source["read"]:
        return "before it began failing"
    return "never"


def _health(source: dict[str, Any], now: datetime) -> str:
    if source["failing"]:
        return (
            f"FAILING since {when(_parse(source['failing_since']), now)}, "
            f"{source['failures_in_a_row']} reads in a row: {short(source['last_error'])}"
        )
    if source["recovered_at"]:
        return f"ok; recovered {when(_parse(source['recovered_at']), now)}"
    return "ok"


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
