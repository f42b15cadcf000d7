"""The pure core: parsing service shapes, deciding on transitions, ranking recommendations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

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
    BenchmarkFailure,
    JobReport,
    JobSummary,
    KnownJob,
    Recommendation,
    ServerlessConfig,
    benchmarks_from_steps,
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
    assert [r.configuration for r in report.recommendations] == ["configuration n/a"]
    assert report.recommendations[0].cost_per_hour is None
    assert report.endpoint_performances[0].endpoint_name == "existing endpoint (name not given)"
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


# --- real response shapes ---------------------------------------------------------------------


def test_cost_per_hour_is_the_whole_configurations_so_a_month_does_not_multiply_by_instances() -> None:
    two_instances = Recommendation(instance_type="ml.m5.xlarge", instance_count=2, cost_per_hour=0.46)
    assert two_instances.monthly_cost == pytest.approx(0.46 * 730)


def serverless_item(memory: int = 2048, provisioned: int | None = None) -> dict:
    config = {"MemorySizeInMB": memory, "MaxConcurrency": 20}
    if provisioned is not None:
        config["ProvisionedConcurrency"] = provisioned
    return {
        "Metrics": {
            "CostPerHour": 0.05,
            "CostPerInference": 2.5e-7,
            "MaxInvocations": 3333,
            "ModelLatency": 30,
        },
        "EndpointConfiguration": {"EndpointName": "ep", "VariantName": "v", "ServerlessConfig": config},
        "ModelConfiguration": {},
    }


def test_a_serverless_recommendation_is_read_as_serverless_and_ranked() -> None:
    response = describe_response()
    response["InferenceRecommendations"].append(serverless_item(provisioned=4))
    report = report_from_description(response, region="us-east-1")
    serverless = report.recommendations[1]
    assert serverless.instance_type is None
    assert serverless.serverless == ServerlessConfig(
        memory_mb=2048, max_concurrency=20, provisioned_concurrency=4
    )
    assert serverless.configuration == "serverless 2048 MB"
    assert serverless.monthly_cost is None  # billed per use: no around-the-clock figure
    assert rank(report.recommendations, "cost")[0] is serverless


def test_a_neo_compiled_recommendation_names_its_compilation_job() -> None:
    response = describe_response()
    response["InferenceRecommendations"][0]["ModelConfiguration"] |= {
        "CompilationJobName": "bert-neo-c5",
        "InferenceSpecificationName": "bert-neo",
    }
    recommendation = report_from_description(response, region="us-east-1").recommendations[0]
    assert recommendation.compiled
    assert recommendation.compilation_job == "bert-neo-c5"
    assert recommendation.inference_specification == "bert-neo"


def test_the_requested_invocations_are_met_or_not_per_recommendation() -> None:
    recommendation = Recommendation(instance_type="ml.c5.xlarge", max_invocations=3300)
    assert recommendation.meets_invocations(3000) is True
    assert recommendation.meets_invocations(3301) is False
    assert recommendation.meets_invocations(None) is None
    assert Recommendation(instance_type="ml.c5.xlarge").meets_invocations(3000) is None


def test_a_latency_no_invocation_can_take_is_not_shown_as_milliseconds() -> None:
    response = describe_response()
    response["InferenceRecommendations"][0]["Metrics"]["ModelLatency"] = 63417  # microseconds
    assert report_from_description(response, region="us-east-1").recommendations[0].model_latency_ms is None


def test_an_existing_endpoint_without_its_name_takes_the_one_the_job_asked_for() -> None:
    response = describe_response(
        JobType="Advanced",
        InputConfig={"ModelName": "bert-base", "Endpoints": [{"EndpointName": "bert-prod"}]},
        EndpointPerformances=[{"Metrics": {"ModelLatency": 57}, "EndpointInfo": {}}],
    )
    endpoint = report_from_description(response, region="us-east-1").endpoint_performances[0]
    assert endpoint.endpoint_name == "bert-prod"
    assert endpoint.max_invocations is None


def test_an_older_job_without_completion_time_finished_at_its_last_modification() -> None:
    response = describe_response()
    del response["CompletionTime"]
    report = report_from_description(response, region="us-east-1")
    assert report.completed_at is None
    assert report.finished_at == NOW
    assert report.duration_seconds == 45 * 60
    running = report_from_description(describe_response(Status=IN_PROGRESS, CompletionTime=None), region="x")
    assert running.finished_at is None


def test_aware_times_in_another_zone_are_converted_to_utc() -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    response = describe_response(
        CreationTime=datetime(2026, 11, 1, 17, 30, tzinfo=kolkata),
        CompletionTime=datetime(2026, 11, 1, 18, 0, tzinfo=kolkata),
    )
    report = report_from_description(response, region="us-east-1")
    assert report.created_at is not None
    assert report.completed_at is not None
    assert (report.created_at.utcoffset(), report.created_at.hour) == (timedelta(0), 12)
    assert report.completed_at.strftime("%H:%M %Z") == "12:30 UTC"
    listed = summary_from_listing(
        {"JobName": "j", "LastModifiedTime": datetime(2026, 11, 1, 17, 30, tzinfo=kolkata)}
    )
    assert listed.last_modified.strftime("%H:%M %Z") == "12:00 UTC"


_PARSE_UNDER_TZ = """
import json, sys
import botocore.session
from botocore.parsers import create_parser
from job_monitor.domain import report_from_description
shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
    "DescribeInferenceRecommendationsJob").output_shape
parsed = create_parser("json").parse(
    {"body": sys.stdin.buffer.read(), "headers": {}, "status_code": 200}, shape)
report = report_from_description(parsed, region="us-east-1")
print(json.dumps([str(parsed["CreationTime"].tzinfo), report.created_at.isoformat()]))
"""


def test_boto3s_local_times_become_utc_on_a_machine_outside_utc() -> None:
    """botocore's parser gives tzlocal() datetimes; under TZ=Asia/Kolkata they must still read as UTC."""
    body = json.dumps(
        {"JobName": "j", "Status": "COMPLETED", "CreationTime": 1793606400.0}
    )  # 2026-11-02 08:00 UTC
    result = subprocess.run(
        [sys.executable, "-c", _PARSE_UNDER_TZ],
        input=body.encode(),
        capture_output=True,
        check=True,
        env={**os.environ, "TZ": "Asia/Kolkata", "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    zone, created = json.loads(result.stdout)
    assert zone == "tzlocal()"
    assert created == "2026-11-02T08:00:00+00:00"


def step(status: str, instance: str | None = None, reason: str | None = None, **endpoint: object) -> dict:
    configuration: dict = {"EndpointName": "ep", "VariantName": "v", **endpoint}
    if instance is not None:
        configuration["InstanceType"] = instance
    benchmark: dict = {"EndpointConfiguration": configuration, "ModelConfiguration": {}}
    if reason is not None:
        benchmark["FailureReason"] = reason
    return {"StepType": "BENCHMARK", "JobName": "job", "Status": status, "InferenceBenchmark": benchmark}


def test_benchmark_failures_are_grouped_by_reason_with_the_configurations_they_hit() -> None:
    oom = "out of memory"
    outcome = benchmarks_from_steps(
        [
            step("COMPLETED", "ml.g5.xlarge"),
            step("FAILED", "ml.c5.large", "  ping\n timeout "),
            step("FAILED", "ml.c5.large", oom),
            step("FAILED", "ml.c5.xlarge", oom),
            step("FAILED", "ml.c5.large", oom),
            step("FAILED", ServerlessConfig=({"MemorySizeInMB": 6144, "MaxConcurrency": 5})),
            step("IN_PROGRESS", "ml.m5.large"),
        ]
    )
    assert (outcome.total, outcome.failed) == (7, 5)
    assert outcome.failures == (
        BenchmarkFailure(reason=oom, count=3, configurations=("ml.c5.large", "ml.c5.xlarge")),
        BenchmarkFailure(reason="ping timeout", count=1, configurations=("ml.c5.large",)),
        BenchmarkFailure(reason="no reason given", count=1, configurations=("serverless 6144 MB",)),
    )


def test_a_report_with_every_new_shape_survives_the_outbox_round_trip() -> None:
    response = describe_response()
    response["InferenceRecommendations"].append(serverless_item(provisioned=2))
    response["InferenceRecommendations"][0]["ModelConfiguration"]["CompilationJobName"] = "neo-1"
    report = report_from_description(response, region="us-east-1")
    report = report.__class__(
        **{**report.__dict__, "benchmarks": benchmarks_from_steps([step("FAILED", "ml.c5.large", "x")])}
    )
    assert JobReport.from_json(report.to_json()) == report


def test_a_report_written_by_the_previous_version_still_reads() -> None:
    """Messages owed when jobwatch is upgraded sit in the outbox in the old form."""
    old = (
        '{"name":"sweep","status":"COMPLETED","region":"us-east-1","job_type":"Default","model":"m",'
        '"description":null,"created_at":"2026-11-01T11:15:00+00:00","completed_at":null,'
        '"last_modified":"2026-11-01T12:00:00+00:00","failure_reason":null,"recommendations":[{"instance_type":'
        '"ml.c5.xlarge","instance_count":2,"cost_per_hour":0.408,"cost_per_inference":1e-06,"max_invocations":'
        '6800,"model_latency_ms":40,"cpu_utilization":null,"memory_utilization":null,"environment":[],'
        '"recommendation_id":null}],"endpoint_performances":[],"latency_thresholds":[],"max_invocations_target":null}'
    )
    report = JobReport.from_json(old)
    assert report.benchmarks is None
    assert report.recommendations[0].serverless is None
    assert report.recommendations[0].configuration == "ml.c5.xlarge x2"
    assert report.finished_at == NOW
