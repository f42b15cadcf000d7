"""A small, realistic JobReport for adapter tests that care about delivery, not wording."""

from __future__ import annotations

from datetime import UTC, datetime

from job_monitor.domain import COMPLETED, FAILED, JobReport, Recommendation

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def sample_report(status: str = COMPLETED, name: str = "bert-sweep") -> JobReport:
    """Two recommendations when COMPLETED, a failure reason when FAILED."""
    return JobReport(
        name=name,
        status=status,
        region="us-east-1",
        job_type="Default",
        model="bert-model",
        created_at=NOW.replace(hour=11),
        completed_at=NOW,
        last_modified=NOW,
        failure_reason="Benchmark failed: the model container did not respond to /ping"
        if status == FAILED
        else None,
        recommendations=(
            Recommendation(
                instance_type="ml.c5.xlarge",
                instance_count=1,
                cost_per_hour=0.204,
                cost_per_inference=1.1e-06,
                max_invocations=3100,
                model_latency_ms=38,
                cpu_utilization=61.5,
            ),
            Recommendation(
                instance_type="ml.g4dn.xlarge",
                instance_count=1,
                cost_per_hour=0.736,
                cost_per_inference=2.4e-06,
                max_invocations=5200,
                model_latency_ms=9,
                cpu_utilization=None,
            ),
        )
        if status == COMPLETED
        else (),
    )
