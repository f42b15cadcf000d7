"""The pure core: parsing service shapes, deciding on transitions, ranking recommendations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from job_monitor.domain import (
    COMPLETED,
    DELETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    STOPPED,
    STOPPING,
    Action,
    JobReport,
    JobSummary,
    KnownJob,
    Recommendation,
    decide,
    rank,
    report_from_description,
    summary_from_listing,
    with_status,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def summary(status: str, name: str = "job") -> JobSummary:
    return JobSummary(name=name, status=status, last_modified=NOW)


def known(status: str, name: str = "job") -> KnownJob:
    return KnownJob(name=name, status=status)


@pytest.mark.parametrize(
    ("status", "previous", "baseline", "started", "expected"),
    [
        (COMPLETED, None, True, False, Action.TRACK),  # history at first run: no message
        (COMPLETED, None, False, False, Action.NOTIFY),  # started and finished between ticks
        (COMPLETED, IN_PROGRESS, False, False, Action.NOTIFY),
        (FAILED, PENDING, False, False, Action.NOTIFY),
        (STOPPED, STOPPING, False, False, Action.NOTIFY),
        (COMPLETED, COMPLETED, False, False, Action.UNCHANGED),
        (IN_PROGRESS, IN_PROGRESS, False, True, Action.UNCHANGED),
        (IN_PROGRESS, PENDING, False, False, Action.TRACK),
        (IN_PROGRESS, PENDING, False, True, Action.NOTIFY),
        (IN_PROGRESS, None, False, True, Action.NOTIFY),
        (IN_PROGRESS, None, True, True, Action.TRACK),
        (STOPPING, IN_PROGRESS, False, True, Action.TRACK),
        (DELETED, COMPLETED, False, False, Action.DROP),
        ("DELETING", IN_PROGRESS, False, False, Action.DROP),
        (DELETED, None, False, False, Action.UNCHANGED),  # never seen: nothing to forget
        ("SOME_NEW_STATUS", IN_PROGRESS, False, False, Action.TRACK),  # unknown enum values are tolerated
        # A finished job never runs again, and a running one never waits again: a stale read.
        (IN_PROGRESS, COMPLETED, False, False, Action.UNCHANGED),
        (PENDING, FAILED, False, True, Action.UNCHANGED),
        (COMPLETED, STOPPED, False, False, Action.UNCHANGED),
        ("SOME_NEW_STATUS", COMPLETED, False, False, Action.UNCHANGED),
        (PENDING, IN_PROGRESS, False, True, Action.UNCHANGED),
        (DELETED, STOPPED, False, False, Action.DROP),
    ],
)
def test_decide(status: str, previous: str | None, baseline: bool, started: bool, expected: Action) -> None:
    previous_job = known(previous) if previous else None
    decision = decide(summary(status), previous_job, baseline=baseline, notify_started=started)
    assert decision.action is expected


def test_only_completed_and_failed_need_a_describe_call() -> None:
    assert decide(summary(COMPLETED), None, baseline=False).needs_details
    assert decide(summary(FAILED), None, baseline=False).needs_details
    assert not decide(summary(STOPPED), None, baseline=False).needs_details


def test_listing_entry_is_read_tolerantly() -> None:
    item = {
        "JobName": "sweep",
        "Status": "COMPLETED",
        "CreationTime": NOW - timedelta(hours=1),
        "LastModifiedTime": NOW,
        "ModelName": "bert",
        "JobType": "Default",
    }
    parsed = summary_from_listing(item)
    assert parsed.model == "bert"
    assert parsed.last_modified == NOW
    assert summary_from_listing({"JobName": "bare", "CreationTime": NOW}).status == "UNKNOWN"


def describe_response(**overrides: object) -> dict:
    response = {
        "JobName": "sweep",
        "JobType": "Default",
        "Status": "COMPLETED",
        "CreationTime": NOW - timedelta(minutes=45),
        "CompletionTime": NOW,
        "LastModifiedTime": NOW,
        "InputConfig": {"ModelName": "bert-base"},
        "StoppingConditions": {
            "MaxInvocations": 3000,
            "ModelLatencyThresholds": [{"Percentile": "P95", "ValueInMilliseconds": 100}],
        },
        "InferenceRecommendations": [
            {
                "Metrics": {
                    "CostPerHour": 0.238,
                    "CostPerInference": 1.2e-06,
                    "MaxInvocations": 3300,
                    "ModelLatency": 45,
                    "CpuUtilization": float("nan"),
                    "MemoryUtilization": 41.5,
                },
                "EndpointConfiguration": {"InstanceType": "ml.c5.xlarge", "InitialInstanceCount": 1},
                "ModelConfiguration": {"EnvironmentParameters": [{"Key": "OMP_NUM_THREADS", "Value": "2"}]},
                "RecommendationId": "rec-1",
            }
        ],
    }
    response.update(overrides)
    return response


def test_description_becomes_a_report_with_nan_as_not_available() -> None:
    report = report_from_description(describe_response(), region="eu-west-1")
    recommendation = report.recommendations[0]
    assert recommendation.cpu_utilization is None
    assert recommendation.memory_utilization == 41.5
    assert recommendation.environment == (("OMP_NUM_THREADS", "2"),)
    assert report.model == "bert-base"
    assert report.region == "eu-west-1"
    assert report.duration_seconds == 45 * 60
    assert report.latency_thresholds[0].value_ms == 100
    assert report.max_invocations_target == 3000


def test_partial_description_does_not_raise() -> None:
    report = report_from_description(
        {
            "JobName": "odd",
            "Status": "COMPLETED",
            "InferenceRecommendations": [{}, {"Metrics": {"CostPerHour": "NaN"}}, None],
            "EndpointPerformances": [{"Metrics": {}}],
            "StoppingConditions": {"ModelLatencyThresholds": [{"Percentile": "P99"}]},
        },
        region="us-east-1",
    )
    assert [r.instance_type for r in report.recommendations] == ["unknown instance"]
    assert report.recommendations[0].cost_per_hour is None
    assert report.endpoint_performances[0].endpoint_name == "unnamed endpoint"
    assert report.latency_thresholds == ()
    assert report.duration_seconds is None


def test_report_survives_the_outbox_round_trip() -> None:
    report = report_from_description(
        describe_response(
            JobType="Advanced",
            EndpointPerformances=[
                {
                    "Metrics": {"MaxInvocations": 900, "ModelLatency": 80},
                    "EndpointInfo": {"EndpointName": "prod"},
                }
            ],
        ),
        region="us-east-1",
    )
    assert JobReport.from_json(report.to_json()) == report


def recommendation(
    instance: str, *, per_inference: float | None, latency: int | None, invocations: int | None
):
    return Recommendation(
        instance_type=instance,
        cost_per_hour=1.0,
        cost_per_inference=per_inference,
        model_latency_ms=latency,
        max_invocations=invocations,
    )


@pytest.mark.parametrize(
    ("objective", "first"),
    [("cost", "ml.cheap"), ("latency", "ml.fast"), ("throughput", "ml.big")],
)
def test_rank_puts_the_objectives_best_first_and_missing_metrics_last(objective: str, first: str) -> None:
    options = [
        recommendation("ml.unknown", per_inference=None, latency=None, invocations=None),
        recommendation("ml.cheap", per_inference=1e-7, latency=90, invocations=1000),
        recommendation("ml.fast", per_inference=5e-6, latency=10, invocations=2000),
        recommendation("ml.big", per_inference=3e-6, latency=40, invocations=9000),
    ]
    ranked = rank(options, objective)
    assert ranked[0].instance_type == first
    assert ranked[-1].instance_type == "ml.unknown"


def test_message_status_is_pinned_to_the_detected_transition() -> None:
    described = JobReport(name="job", status=STOPPED, region="us-east-1")
    assert with_status(described, summary(COMPLETED)).status == COMPLETED
