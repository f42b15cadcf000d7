"""The AI recommendation adapter against the simulator: what it finds, and what it costs."""

from __future__ import annotations

import math
from datetime import timedelta

import boto3
import pytest
from job_monitor.adapters.sagemaker_ai import AIRecommendationJobSource
from job_monitor.domain import AI_RECOMMENDATION, COMPLETED, DELETED, FAILED, IN_PROGRESS, STOPPED

from local.simulator import InferenceRecommenderSimulator


def source(simulator: InferenceRecommenderSimulator) -> AIRecommendationJobSource:
    client = boto3.client("sagemaker", endpoint_url=simulator.endpoint_url, region_name="us-east-1")
    return AIRecommendationJobSource(client, region="us-east-1")


def calls(simulator: InferenceRecommenderSimulator) -> int:
    return sum(simulator.call_counts.values())


def test_first_run_lists_every_job_with_its_creation_time_as_its_place(
    simulator: InferenceRecommenderSimulator,
) -> None:
    simulator.add_finished_ai_jobs(120)
    simulator.add_ai_job("running")

    observations = source(simulator).changes(since=None, running=(), name_contains=None)

    assert len(observations) == 121
    running = next(obs.summary for obs in observations if obs.summary.name == "running")
    assert running.kind == AI_RECOMMENDATION
    assert running.status == IN_PROGRESS
    assert running.cursor_time == running.created_at == simulator.clock.now()
    assert simulator.call_counts["ListAIRecommendationJobs"] == 2  # pages of 100


def test_finds_new_jobs_and_the_tracked_ones_that_ended(simulator: InferenceRecommenderSimulator) -> None:
    simulator.add_ai_job("finishes", run_seconds=600)
    simulator.add_ai_job("fails", outcome="FAILED", run_seconds=600)
    simulator.add_ai_job("keeps-running", run_seconds=7200)
    simulator.add_ai_job("vanishes", run_seconds=7200)
    cursor = simulator.clock.now()
    simulator.clock.advance(900)
    simulator.add_ai_job("new-and-done", run_seconds=60, outcome="STOPPED")
    simulator.clock.advance(120)
    simulator.delete_ai_job("vanishes")

    observations = source(simulator).changes(
        since=cursor, running=["finishes", "fails", "keeps-running", "vanishes"], name_contains=None
    )

    found = {obs.summary.name: obs for obs in observations}
    assert {name: obs.summary.status for name, obs in found.items()} == {
        "new-and-done": STOPPED,
        "finishes": COMPLETED,
        "fails": FAILED,
        "vanishes": DELETED,
    }
    assert found["finishes"].report.details.recommendations  # described once, report kept
    assert found["fails"].report.failure_reason
    assert found["new-and-done"].report is None
    assert found["finishes"].summary.cursor_time is None  # a tracked job never moves the cursor
    assert found["new-and-done"].summary.cursor_time is not None


@pytest.mark.parametrize(("history", "running"), [(0, 0), (2_000, 0), (2_000, 250)])
def test_calls_per_tick_grow_with_changes_not_history(
    simulator: InferenceRecommenderSimulator, history: int, running: int
) -> None:
    """The issue's target: at most 2 + ceil(running / 100) + the jobs that changed."""
    simulator.add_finished_ai_jobs(history)
    for index in range(running):
        simulator.add_ai_job(f"long-{index:04d}", run_seconds=86_400)
    for index in range(3):
        simulator.add_ai_job(f"ending-{index}", run_seconds=300)
    cursor = simulator.clock.now()
    tracked = [f"long-{index:04d}" for index in range(running)] + [f"ending-{index}" for index in range(3)]
    simulator.clock.advance(600)
    simulator.add_ai_job("brand-new", run_seconds=86_400)
    before = calls(simulator)

    observations = source(simulator).changes(since=cursor, running=tracked, name_contains=None)

    changed = len(observations)
    assert changed == 4  # three ended, one new
    assert calls(simulator) - before <= 2 + math.ceil(running / 100) + changed


def test_no_tracked_running_job_needs_no_status_listing(simulator: InferenceRecommenderSimulator) -> None:
    simulator.add_ai_job("one")
    source(simulator).changes(
        since=simulator.clock.now() - timedelta(minutes=5), running=(), name_contains=None
    )
    assert simulator.call_counts["ListAIRecommendationJobs"] == 1
