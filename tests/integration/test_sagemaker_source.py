"""The SageMaker adapter against the simulator: every page, the filters it sends, gone jobs."""

from __future__ import annotations

import logging
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from job_monitor.adapters.sagemaker import PAGE_SIZE, SageMakerJobSource

from local.simulator import InferenceRecommenderSimulator


def source(simulator: InferenceRecommenderSimulator) -> SageMakerJobSource:
    client = boto3.client("sagemaker", endpoint_url=simulator.endpoint_url, region_name="us-east-1")
    return SageMakerJobSource(client, region="us-east-1")


def test_lists_every_job_in_pages_of_one_hundred(simulator: InferenceRecommenderSimulator) -> None:
    simulator.add_finished_jobs(250)

    names = [summary.name for summary in source(simulator).list_jobs(modified_after=None, name_contains=None)]

    assert len(names) == len(set(names)) == 250
    assert simulator.call_counts["ListInferenceRecommendationsJobs"] == 3
    assert PAGE_SIZE == 100


def test_sends_the_change_and_name_filters(simulator: InferenceRecommenderSimulator) -> None:
    simulator.add_finished_jobs(30, prefix="old")
    simulator.add_job("new-sweep", run_seconds=60)
    simulator.add_job("new-other", run_seconds=60)
    simulator.clock.advance(200)

    summaries = list(
        source(simulator).list_jobs(
            modified_after=simulator.clock.now() - timedelta(minutes=10), name_contains="sweep"
        )
    )

    assert [(s.name, s.status) for s in summaries] == [("new-sweep", "COMPLETED")]


def test_describe_returns_a_report_or_none_when_the_job_is_gone(
    simulator: InferenceRecommenderSimulator,
) -> None:
    simulator.add_job("sweep", run_seconds=60, job_type="Advanced", endpoints=("prod",))
    simulator.clock.advance(200)

    report = source(simulator).describe("sweep")
    simulator.delete_job("sweep")

    assert report is not None
    assert report.status == "COMPLETED"
    assert report.recommendations
    assert report.endpoint_performances[0].endpoint_name == "prod"
    assert source(simulator).describe("sweep") is None


OOM = "Benchmark failed: the model container ran out of memory"


def test_describe_adds_the_benchmark_failures_of_a_partly_failed_job(
    simulator: InferenceRecommenderSimulator,
) -> None:
    simulator.add_job("partly", failed_benchmarks=(("ml.c5.large", OOM), ("ml.c5.xlarge", OOM)))
    simulator.clock.advance(3600)

    report = source(simulator).describe("partly")

    assert report is not None
    assert report.benchmarks is not None
    assert report.benchmarks.total == len(report.recommendations) + 2
    assert report.benchmarks.failed == 2
    assert report.benchmarks.failures[0].configurations == ("ml.c5.large", "ml.c5.xlarge")
    assert simulator.call_counts["ListInferenceRecommendationsJobSteps"] == 1


def test_only_completed_and_failed_jobs_cost_a_steps_call(simulator: InferenceRecommenderSimulator) -> None:
    simulator.add_job("running", run_seconds=3600)
    simulator.clock.advance(120)

    report = source(simulator).describe("running")

    assert report is not None
    assert report.benchmarks is None
    assert simulator.call_counts["ListInferenceRecommendationsJobSteps"] == 0


def test_a_failing_steps_call_leaves_the_benchmarks_out_and_is_logged(
    simulator: InferenceRecommenderSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.add_job("broken", outcome="FAILED", failed_benchmarks=(("ml.g5.xlarge", OOM),))
    simulator.clock.advance(3600)
    simulator.faults.server_error_rate = 1.0
    simulator.faults.operations = {"ListInferenceRecommendationsJobSteps"}
    client = boto3.client(
        "sagemaker",
        endpoint_url=simulator.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )

    with caplog.at_level(logging.WARNING):
        report = SageMakerJobSource(client, region="us-east-1").describe("broken")

    assert report is not None
    assert report.status == "FAILED"
    assert report.failure_reason
    assert report.benchmarks is None
    assert "benchmark steps left out: the call failed" in caplog.text


def test_the_steps_listing_is_bounded_in_time(
    simulator: InferenceRecommenderSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A listing that outlasts its budget gives no count at all rather than a partial one."""
    simulator.add_job(
        "huge", outcome="FAILED", failed_benchmarks=tuple(("ml.g5.xlarge", OOM) for _ in range(150))
    )
    simulator.clock.advance(3600)
    readings = iter([0.0, 11.0])  # the budget starts at 0 s; the first page arrives at 11 s
    client = boto3.client("sagemaker", endpoint_url=simulator.endpoint_url, region_name="us-east-1")
    bounded = SageMakerJobSource(
        client, region="us-east-1", steps_budget_seconds=10, monotonic=lambda: next(readings)
    )

    with caplog.at_level(logging.WARNING):
        report = bounded.describe("huge")

    assert report is not None
    assert report.benchmarks is None
    assert simulator.call_counts["ListInferenceRecommendationsJobSteps"] == 1
    assert "took too long" in caplog.text
    unbounded = source(simulator).describe("huge")
    assert unbounded is not None
    assert unbounded.benchmarks is not None
    assert unbounded.benchmarks.failed == 150
