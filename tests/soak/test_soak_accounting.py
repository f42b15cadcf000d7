"""The soak credits each crash in the send-to-record window to the message it leaves unrecorded.

A crash the soak misfiles turns a documented resend into an "unexplained" duplicate and fails a
run for a fault of its own bookkeeping: the long run in Slack's app mode did so for AI
recommendation jobs, whose state keys carry their kind.
"""

from __future__ import annotations

from typing import Any

import pytest
from job_monitor.adapters.dynamodb_state import DynamoStateStore
from job_monitor.domain import AI_RECOMMENDATION, IN_PROGRESS, INFERENCE_RECOMMENDER, JobReport, Origin
from job_monitor.ports import Delivery, Thread

from benchmarks.soak import Faults, Injector, LambdaCrash, SoakResult


class _CapturingClient:
    """Stands in for the DynamoDB client: keeps each write's parameters, as botocore's hook sees them."""

    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def update_item(self, **params: Any) -> dict[str, Any]:
        self.writes.append(params)
        return {}


@pytest.mark.parametrize(
    ("kind", "origin"),
    [
        (INFERENCE_RECOMMENDER, Origin()),
        (AI_RECOMMENDATION, Origin()),
        (AI_RECOMMENDATION, Origin(account="222222222222", region="eu-west-1")),
    ],
    ids=["inference-recommender", "ai-recommendation", "member-account"],
)
def test_a_crash_before_a_thread_is_recorded_is_credited_to_that_jobs_parent(
    kind: str, origin: Origin
) -> None:
    client = _CapturingClient()
    report = JobReport(name="soak-ai-01811", status=IN_PROGRESS, region="us-east-1", kind=kind, origin=origin)
    parent = Delivery(job_name=report.name, status=IN_PROGRESS, channel="slack", attempts=0, report=report)
    DynamoStateStore(client, table_name="state", ttl_days=30).record_thread(
        parent, Thread(channel_id="C0SOAKDFLT1", ts="1764401670.001670")
    )
    injector = Injector(Faults(crash=1.0), seed=1, result=SoakResult())

    with pytest.raises(LambdaCrash):
        injector.crash_before_write(client.writes[0])

    assert injector.crash_window == {("soak-ai-01811", IN_PROGRESS, "slack"): 1}
