"""``jobwatch retry-abandoned [JOB_NAME]``: owe abandoned messages again, once, through the outbox.

Nothing is sent from here: each message goes back into the state table's outbox as pending with
a fresh attempt budget, and the next tick claims and sends it exactly as it sends any owed
message, so overlapping ticks and a second ``retry-abandoned`` still deliver it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from job_monitor.adapters.sources import job_source
from job_monitor.domain import JobKey, JobReport
from job_monitor.ports import JobRecord, OperatorStore

from jobwatch_cli.deployment import Deployment, OperatorError
from jobwatch_cli.status import state_store
from jobwatch_cli.text import table

ABANDONED = "abandoned"


def run(
    deployment: Deployment, *, job_name: str | None, channel: str | None, now: datetime
) -> dict[str, Any]:
    store = state_store(deployment)
    records = store.job_records()
    try:
        wanted = None if job_name is None else JobKey.parse(job_name)
    except ValueError as error:
        raise OperatorError(str(error)) from None
    if wanted is not None and wanted not in {record.key for record in records}:
        raise OperatorError(
            f"jobwatch has no record of a job named {job_name} in {deployment.settings.state_table_name}"
        )
    if channel is not None and channel not in deployment.settings.channels:
        raise OperatorError(
            f"{channel} is not a channel of this deployment (it has {', '.join(deployment.settings.channels)})"
        )
    outcomes = []
    for record in records:
        if wanted is not None and record.key != wanted:
            continue
        for delivery in record.deliveries:
            if delivery.state != ABANDONED or (channel is not None and delivery.channel != channel):
                continue
            outcome = _requeue(deployment, store, record, delivery.channel, now)
            outcomes.append(
                {
                    "job_name": record.name,
                    "job_kind": record.kind,
                    "status": record.notified_status,
                    "channel": delivery.channel,
                    **outcome,
                }
            )
    return {"requeued": sum(o["requeued"] for o in outcomes), "messages": outcomes}


def _requeue(
    deployment: Deployment, store: OperatorStore, record: JobRecord, channel: str, now: datetime
) -> dict[str, Any]:
    if channel not in deployment.settings.channels:
        return {"requeued": False, "detail": f"{channel} is no longer configured on the function"}
    report, problem = _report(deployment, record)
    if report is None:
        return {"requeued": False, "detail": problem}
    if store.requeue_abandoned(record, channel, report=report, now=now):
        return {"requeued": True, "detail": "owed again; the next tick sends it"}
    return {
        "requeued": False,
        "detail": "no longer abandoned (already retried, or a newer status replaced it)",
    }


def _report(deployment: Deployment, record: JobRecord) -> tuple[JobReport | None, str]:
    """The frozen report when the outbox still holds it; otherwise the job described afresh."""
    if record.report is not None:
        return record.report, ""
    source = job_source(record.kind, deployment.client("sagemaker"), region=deployment.region)
    described = source.describe(record.name)
    if described is None:
        return None, "the job no longer exists in SageMaker, so its message cannot be rebuilt"
    if described.status != record.notified_status:
        return None, f"the job is {described.status} now; its {record.notified_status} message is out of date"
    return described, ""


def render(result: dict[str, Any]) -> str:
    if not result["messages"]:
        return "Nothing to retry: no message is abandoned."
    lines = [
        table(
            ["JOB", "STATUS", "CHANNEL", "RESULT"],
            [
                [
                    m["job_name"],
                    m["status"],
                    m["channel"],
                    ("requeued: " if m["requeued"] else "skipped: ") + m["detail"],
                ]
                for m in result["messages"]
            ],
        )
    ]
    if result["requeued"]:
        lines.append(
            f"{result['requeued']} message(s) owed again. The next scheduled tick sends each once; "
            "`jobwatch status` shows them until then."
        )
    return "\n".join(lines)
