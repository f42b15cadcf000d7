"""The SageMaker adapter against the simulator: every page, the filters it sends, gone jobs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from job_monitor.adapters.sagemaker import PAGE_SIZE, SageMakerJobSource

from local.simulator import InferenceRecommenderSimulator, SimulatedClock


@pytest.fixture
def simulator() -> Iterator[InferenceRecommenderSimulator]:
    simulator = InferenceRecommenderSimulator(clock=SimulatedClock(), seed=5)
    with simulator:
        yield simulator


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
