"""The local Inference Recommender, exercised through a real boto3 client over HTTP."""

from __future__ import annotations

import contextlib
import math
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from local.simulator import STOP_SECONDS, InferenceRecommenderSimulator

ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerInferenceRecommender"


@pytest.fixture
def sim() -> Iterator[InferenceRecommenderSimulator]:
    simulator = InferenceRecommenderSimulator(seed=7)
    simulator.start()
    try:
        yield simulator
    finally:
        _stop_quickly(simulator)


def _stop_quickly(simulator: InferenceRecommenderSimulator) -> None:
    """stop() waits for serve_forever's 0.5 s poll; a connection wakes the loop at once."""
    host, port = simulator.endpoint_url.removeprefix("http://").split(":")
    stopper = threading.Thread(target=simulator.stop, daemon=True)
    stopper.start()
    while stopper.is_alive():
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.2):
            pass
        stopper.join(0.02)


def make_client(
    sim: InferenceRecommenderSimulator, monkeypatch: pytest.MonkeyPatch, config: Config | None = None
) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", sim.endpoint_url)
    config = config or Config(retries={"mode": "standard", "max_attempts": 1})
    return boto3.client("sagemaker", region_name="us-east-1", config=config)


@pytest.fixture
def client(sim: InferenceRecommenderSimulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_client(sim, monkeypatch)


_SERVICE_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def assert_valid(operation: str, response: dict[str, Any]) -> None:
    output_shape = _SERVICE_MODEL.operation_model(operation).output_shape
    body = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    if output_shape is None:  # the operation has no output members (StopInferenceRecommendationsJob)
        assert body == {}
        return
    report = ParamValidator().validate(body, output_shape)
    assert not report.has_errors(), report.generate_report()


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def names(response: dict[str, Any]) -> list[str]:
    return [job["JobName"] for job in response["InferenceRecommendationsJobs"]]


# --- responses match botocore's service model ---------------------------------------------------


def test_describe_default_completed_matches_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("default-job", run_seconds=600)
    sim.clock.advance(3600)
    response = client.describe_inference_recommendations_job(JobName="default-job")
    assert response["Status"] == "COMPLETED"
    assert response["InferenceRecommendations"]
    assert_valid("DescribeInferenceRecommendationsJob", response)


def test_describe_advanced_with_endpoints_matches_model(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_job("advanced-job", job_type="Advanced", endpoints=("ep-a", "ep-b"))
    sim.clock.advance(3600)
    response = client.describe_inference_recommendations_job(JobName="advanced-job")
    assert response["Status"] == "COMPLETED"
    assert response["JobType"] == "Advanced"
    assert [item["EndpointInfo"]["EndpointName"] for item in response["EndpointPerformances"]] == [
        "ep-a",
        "ep-b",
    ]
    assert_valid("DescribeInferenceRecommendationsJob", response)


def test_describe_failed_matches_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("failed-job", outcome="FAILED")
    sim.clock.advance(3600)
    response = client.describe_inference_recommendations_job(JobName="failed-job")
    assert response["Status"] == "FAILED"
    assert response["FailureReason"]
    assert "InferenceRecommendations" not in response
    assert_valid("DescribeInferenceRecommendationsJob", response)


def test_describe_in_progress_matches_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("running-job", pending_seconds=30, run_seconds=600)
    sim.clock.advance(60)
    response = client.describe_inference_recommendations_job(JobName="running-job")
    assert response["Status"] == "IN_PROGRESS"
    assert "CompletionTime" not in response
    assert_valid("DescribeInferenceRecommendationsJob", response)


def test_list_matches_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("one", outcome="FAILED")
    sim.add_job("two")
    sim.clock.advance(3600)
    sim.add_job("three")
    response = client.list_inference_recommendations_jobs()
    assert sorted(names(response)) == ["one", "three", "two"]
    assert_valid("ListInferenceRecommendationsJobs", response)


@pytest.mark.parametrize(
    ("outcome", "advance"),
    [("COMPLETED", 3600), ("FAILED", 3600), ("COMPLETED", 60)],
    ids=["completed", "failed", "in-progress"],
)
def test_list_steps_matches_model(
    sim: InferenceRecommenderSimulator, client: Any, outcome: str, advance: float
) -> None:
    sim.add_job("stepped", outcome=outcome)
    sim.clock.advance(advance)
    response = client.list_inference_recommendations_job_steps(JobName="stepped")
    assert response["Steps"]
    assert_valid("ListInferenceRecommendationsJobSteps", response)


OOM = "Benchmark failed: the model container ran out of memory"


def test_serverless_and_compiled_recommendations_match_model(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_job("shapes", serverless=True, compiled=True)
    sim.clock.advance(3600)
    response = client.describe_inference_recommendations_job(JobName="shapes")
    assert_valid("DescribeInferenceRecommendationsJob", response)
    recommendations = response["InferenceRecommendations"]
    serverless = [item for item in recommendations if "ServerlessConfig" in item["EndpointConfiguration"]]
    assert [item["EndpointConfiguration"]["ServerlessConfig"]["MemorySizeInMB"] for item in serverless] == [
        2048,
        4096,
    ]
    assert all("InstanceType" not in item["EndpointConfiguration"] for item in serverless)
    compiled = [item for item in recommendations if "CompilationJobName" in item["ModelConfiguration"]]
    assert len(compiled) == 1
    twin = recommendations[0]
    assert (
        compiled[0]["EndpointConfiguration"]["InstanceType"] == twin["EndpointConfiguration"]["InstanceType"]
    )
    assert compiled[0]["Metrics"]["CostPerHour"] == twin["Metrics"]["CostPerHour"]
    assert compiled[0]["Metrics"]["CostPerInference"] < twin["Metrics"]["CostPerInference"]


def test_every_recommendation_prices_its_whole_configuration(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    """Real responses satisfy CostPerInference = CostPerHour / (MaxInvocations x 60); so does the simulator."""
    for index in range(6):
        sim.add_job(f"priced-{index}", serverless=index % 2 == 0, compiled=index % 3 == 0)
    sim.clock.advance(3600)
    counts = set()
    for index in range(6):
        for item in describe(client, f"priced-{index}")["InferenceRecommendations"]:
            metrics = item["Metrics"]
            expected = metrics["CostPerHour"] / (metrics["MaxInvocations"] * 60)
            assert metrics["CostPerInference"] == pytest.approx(expected, rel=1e-9)
            counts.add(item["EndpointConfiguration"].get("InitialInstanceCount"))
    assert {1, 2} <= counts


def test_partly_failed_completed_job_lists_its_failed_benchmarks(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_job("partly", failed_benchmarks=(("ml.c5.large", OOM), ("serverless", OOM)))
    sim.clock.advance(3600)
    response = client.list_inference_recommendations_job_steps(JobName="partly", StepType="BENCHMARK")
    assert_valid("ListInferenceRecommendationsJobSteps", response)
    statuses = [step["Status"] for step in response["Steps"]]
    recommendations = describe(client, "partly")["InferenceRecommendations"]
    assert statuses == ["COMPLETED"] * len(recommendations) + ["FAILED", "FAILED"]
    failed = [step["InferenceBenchmark"] for step in response["Steps"] if step["Status"] == "FAILED"]
    assert [item["FailureReason"] for item in failed] == [OOM, OOM]
    assert failed[0]["EndpointConfiguration"]["InstanceType"] == "ml.c5.large"
    assert "ServerlessConfig" in failed[1]["EndpointConfiguration"]


def test_failed_job_lists_each_benchmark_with_its_reason(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_job(
        "broken", outcome="FAILED", failed_benchmarks=(("ml.g5.xlarge", OOM), ("ml.g4dn.xlarge", OOM))
    )
    sim.clock.advance(3600)
    paginator = client.get_paginator("list_inference_recommendations_job_steps")
    pages = list(paginator.paginate(JobName="broken", PaginationConfig={"PageSize": 1}))
    assert len(pages) == 2
    for page in pages:
        assert_valid("ListInferenceRecommendationsJobSteps", page)
    assert [page["Steps"][0]["Status"] for page in pages] == ["FAILED", "FAILED"]


def test_create_and_stop_match_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    created = client.create_inference_recommendations_job(
        JobName="created-job",
        JobType="Default",
        RoleArn=ROLE_ARN,
        InputConfig={"ModelName": "bert-model"},
    )
    assert created["JobArn"].endswith(":inference-recommendations-job/created-job")
    assert_valid("CreateInferenceRecommendationsJob", created)
    assert sim.status_of("created-job") == "PENDING"
    stopped = client.stop_inference_recommendations_job(JobName="created-job")
    assert_valid("StopInferenceRecommendationsJob", stopped)


def test_create_existing_name_is_resource_in_use(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("taken")
    with pytest.raises(client.exceptions.ResourceInUse):
        client.create_inference_recommendations_job(
            JobName="taken", JobType="Default", RoleArn=ROLE_ARN, InputConfig={"ModelName": "m"}
        )


def test_validation_can_fail() -> None:
    output_shape = _SERVICE_MODEL.operation_model("DescribeInferenceRecommendationsJob").output_shape
    report = ParamValidator().validate({"JobName": "x", "Status": 123}, output_shape)
    assert report.has_errors()
    assert "Status" in report.generate_report()


# --- lifecycle on the clock ---------------------------------------------------------------------


def describe(client: Any, name: str) -> dict[str, Any]:
    return client.describe_inference_recommendations_job(JobName=name)


@pytest.mark.parametrize("outcome", ["COMPLETED", "FAILED", "STOPPED"])
def test_lifecycle(sim: InferenceRecommenderSimulator, client: Any, outcome: str) -> None:
    start = sim.clock.now()
    sim.add_job("life", outcome=outcome, pending_seconds=30, run_seconds=600)

    first = describe(client, "life")
    assert first["Status"] == "PENDING"
    assert first["LastModifiedTime"] == start
    assert "CompletionTime" not in first

    sim.clock.advance(30)
    running = describe(client, "life")
    assert running["Status"] == "IN_PROGRESS"
    assert running["LastModifiedTime"] == start + timedelta(seconds=30)
    assert "CompletionTime" not in running

    sim.clock.advance(599)
    assert describe(client, "life")["Status"] == ("STOPPING" if outcome == "STOPPED" else "IN_PROGRESS")

    sim.clock.advance(1)
    ended_at = start + timedelta(seconds=630)
    final = describe(client, "life")
    assert final["Status"] == outcome
    assert final["LastModifiedTime"] == ended_at
    assert final["CompletionTime"] == ended_at

    sim.clock.advance(86400)
    later = describe(client, "life")
    assert later["LastModifiedTime"] == ended_at
    assert later["CompletionTime"] == ended_at


def test_stop_goes_through_stopping(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("halt", pending_seconds=30, run_seconds=3600)
    sim.clock.advance(120)
    stop_at = sim.clock.now()
    client.stop_inference_recommendations_job(JobName="halt")

    stopping = describe(client, "halt")
    assert stopping["Status"] == "STOPPING"
    assert stopping["LastModifiedTime"] == stop_at
    assert "CompletionTime" not in stopping

    sim.clock.advance(STOP_SECONDS - 1)
    assert describe(client, "halt")["Status"] == "STOPPING"
    sim.clock.advance(1)
    stopped = describe(client, "halt")
    assert stopped["Status"] == "STOPPED"
    assert stopped["LastModifiedTime"] == stop_at + timedelta(seconds=STOP_SECONDS)
    assert stopped["CompletionTime"] == stop_at + timedelta(seconds=STOP_SECONDS)


def test_stop_of_finished_job_changes_nothing(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("done")
    sim.clock.advance(3600)
    client.stop_inference_recommendations_job(JobName="done")
    assert describe(client, "done")["Status"] == "COMPLETED"


# --- listing: filters, sorting, paging ----------------------------------------------------------


@pytest.fixture
def listed(sim: InferenceRecommenderSimulator) -> InferenceRecommenderSimulator:
    """Five jobs at known times; at 'now' (t0 + 2h): two COMPLETED, one FAILED, one IN_PROGRESS, one PENDING."""
    sim.add_job("alpha-one", model_name="bert")  # t0, completes t0+630s
    sim.clock.advance(600)
    sim.add_job("beta-two", outcome="FAILED", model_name="bert")  # t0+10m, fails t0+10m+630s
    sim.clock.advance(600)
    sim.add_job("alpha-three", model_name="gpt")  # t0+20m, completes t0+20m+630s
    sim.clock.advance(4800)
    sim.add_job("gamma-four", run_seconds=3600, model_name="gpt")  # t0+100m, running at t0+2h
    sim.clock.advance(1200)
    sim.add_job("delta-five", pending_seconds=300, model_name="t5")  # t0+2h, pending
    return sim


def test_list_status_equals(listed: InferenceRecommenderSimulator, client: Any) -> None:
    def by_status(status: str) -> list[str]:
        return sorted(names(client.list_inference_recommendations_jobs(StatusEquals=status)))

    assert by_status("COMPLETED") == ["alpha-one", "alpha-three"]
    assert by_status("FAILED") == ["beta-two"]
    assert by_status("IN_PROGRESS") == ["gamma-four"]
    assert by_status("PENDING") == ["delta-five"]
    assert by_status("STOPPED") == []


def test_list_name_contains(listed: InferenceRecommenderSimulator, client: Any) -> None:
    response = client.list_inference_recommendations_jobs(NameContains="alpha")
    assert sorted(names(response)) == ["alpha-one", "alpha-three"]


def test_list_model_name_equals(listed: InferenceRecommenderSimulator, client: Any) -> None:
    response = client.list_inference_recommendations_jobs(ModelNameEquals="gpt")
    assert sorted(names(response)) == ["alpha-three", "gamma-four"]


def test_list_creation_time_filters(listed: InferenceRecommenderSimulator, client: Any) -> None:
    t0 = listed.clock.now() - timedelta(hours=2)
    after = client.list_inference_recommendations_jobs(CreationTimeAfter=t0 + timedelta(minutes=15))
    assert sorted(names(after)) == ["alpha-three", "delta-five", "gamma-four"]
    before = client.list_inference_recommendations_jobs(CreationTimeBefore=t0 + timedelta(minutes=15))
    assert sorted(names(before)) == ["alpha-one", "beta-two"]
    both = client.list_inference_recommendations_jobs(
        CreationTimeAfter=t0 + timedelta(minutes=5), CreationTimeBefore=t0 + timedelta(minutes=30)
    )
    assert sorted(names(both)) == ["alpha-three", "beta-two"]


def test_list_last_modified_filters(listed: InferenceRecommenderSimulator, client: Any) -> None:
    t0 = listed.clock.now() - timedelta(hours=2)
    # LastModifiedTime: alpha-one t0+630s, beta-two t0+1230s, alpha-three t0+1830s,
    # gamma-four t0+100m+30s (started), delta-five t0+2h (created).
    after = client.list_inference_recommendations_jobs(LastModifiedTimeAfter=t0 + timedelta(seconds=1500))
    assert sorted(names(after)) == ["alpha-three", "delta-five", "gamma-four"]
    before = client.list_inference_recommendations_jobs(LastModifiedTimeBefore=t0 + timedelta(seconds=1500))
    assert sorted(names(before)) == ["alpha-one", "beta-two"]
    window = client.list_inference_recommendations_jobs(
        LastModifiedTimeAfter=t0 + timedelta(seconds=1000),
        LastModifiedTimeBefore=t0 + timedelta(minutes=101),
    )
    assert sorted(names(window)) == ["alpha-three", "beta-two", "gamma-four"]


@pytest.mark.parametrize(
    ("sort_by", "order", "expected"),
    [
        ("Name", "Ascending", ["alpha-one", "alpha-three", "beta-two", "delta-five", "gamma-four"]),
        ("Name", "Descending", ["gamma-four", "delta-five", "beta-two", "alpha-three", "alpha-one"]),
        ("CreationTime", "Ascending", ["alpha-one", "beta-two", "alpha-three", "gamma-four", "delta-five"]),
        ("CreationTime", "Descending", ["delta-five", "gamma-four", "alpha-three", "beta-two", "alpha-one"]),
        ("Status", "Ascending", ["alpha-one", "alpha-three", "beta-two", "gamma-four", "delta-five"]),
        ("Status", "Descending", ["delta-five", "gamma-four", "beta-two", "alpha-three", "alpha-one"]),
    ],
)
def test_list_sorting(
    listed: InferenceRecommenderSimulator, client: Any, sort_by: str, order: str, expected: list[str]
) -> None:
    response = client.list_inference_recommendations_jobs(SortBy=sort_by, SortOrder=order)
    assert names(response) == expected


def test_list_default_sort_is_creation_time_descending(
    listed: InferenceRecommenderSimulator, client: Any
) -> None:
    assert names(client.list_inference_recommendations_jobs()) == [
        "delta-five",
        "gamma-four",
        "alpha-three",
        "beta-two",
        "alpha-one",
    ]


def test_list_default_page_size_is_ten(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_finished_jobs(25)
    first = client.list_inference_recommendations_jobs()
    assert len(first["InferenceRecommendationsJobs"]) == 10
    assert first["NextToken"]
    second = client.list_inference_recommendations_jobs(NextToken=first["NextToken"])
    assert len(second["InferenceRecommendationsJobs"]) == 10
    third = client.list_inference_recommendations_jobs(NextToken=second["NextToken"])
    assert len(third["InferenceRecommendationsJobs"]) == 5
    assert "NextToken" not in third
    seen = names(first) + names(second) + names(third)
    assert sorted(seen) == sorted(sim.job_names())


def test_list_no_next_token_when_everything_fits(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_finished_jobs(10)
    response = client.list_inference_recommendations_jobs()
    assert len(response["InferenceRecommendationsJobs"]) == 10
    assert "NextToken" not in response


@pytest.mark.parametrize("sort_by", ["Name", "CreationTime", "Status"])
def test_paginator_returns_every_job_once(
    sim: InferenceRecommenderSimulator, client: Any, sort_by: str
) -> None:
    sim.add_finished_jobs(40)
    sim.add_job("running-now")
    paginator = client.get_paginator("list_inference_recommendations_jobs")
    pages = list(paginator.paginate(SortBy=sort_by, PaginationConfig={"PageSize": 7}))
    assert len(pages) == 6
    seen = [job["JobName"] for page in pages for job in page["InferenceRecommendationsJobs"]]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(sim.job_names())


def test_paging_with_equal_creation_times(sim: InferenceRecommenderSimulator, client: Any) -> None:
    for index in range(15):
        sim.add_job(f"same-{index:02d}")  # all created at the same instant
    paginator = client.get_paginator("list_inference_recommendations_jobs")
    seen = [
        job["JobName"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 4})
        for job in page["InferenceRecommendationsJobs"]
    ]
    assert sorted(seen) == sorted(sim.job_names())
    assert len(seen) == 15


def test_paging_resumes_after_jobs_change_between_pages(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_finished_jobs(12, ended_before=sim.clock.now() - timedelta(hours=1))
    first = client.list_inference_recommendations_jobs(MaxResults=5)
    sim.clock.advance(1)
    sim.add_job("created-between-pages")  # newest: sorts before the token, so it is not listed
    rest = client.list_inference_recommendations_jobs(MaxResults=100, NextToken=first["NextToken"])
    seen = names(first) + names(rest)
    assert len(seen) == len(set(seen)) == 12
    assert "created-between-pages" not in seen


def test_listing_shows_a_change_made_at_the_same_instant(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    sim.add_job("to-stop", pending_seconds=0, run_seconds=3600)
    sim.clock.advance(60)
    assert client.list_inference_recommendations_jobs()["InferenceRecommendationsJobs"][0]["Status"] == (
        "IN_PROGRESS"
    )
    sim.stop_job("to-stop")  # the clock has not moved: a cached listing would still say IN_PROGRESS
    assert client.list_inference_recommendations_jobs()["InferenceRecommendationsJobs"][0]["Status"] == (
        "STOPPING"
    )


def test_list_max_results_over_100_is_rejected(sim: InferenceRecommenderSimulator, client: Any) -> None:
    with pytest.raises(ClientError) as error:
        client.list_inference_recommendations_jobs(MaxResults=101)
    assert error_code(error) == "ValidationException"


def test_list_max_results_100_is_accepted(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_finished_jobs(120)
    response = client.list_inference_recommendations_jobs(MaxResults=100)
    assert len(response["InferenceRecommendationsJobs"]) == 100


# --- errors and faults --------------------------------------------------------------------------


def test_describe_unknown_job_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFound) as error:
        client.describe_inference_recommendations_job(JobName="no-such-job")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_throttling_surfaces_as_throttling_exception(
    sim: InferenceRecommenderSimulator, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # botocore's backoff
    sim.faults.throttle_rate = 1.0
    with pytest.raises(ClientError) as error:
        client.list_inference_recommendations_jobs()
    assert error_code(error) == "ThrottlingException"
    # botocore counts max_attempts as retries after the first call: one retry, also throttled.
    calls = sim.call_counts["ListInferenceRecommendationsJobs"]
    assert error.value.response["ResponseMetadata"]["RetryAttempts"] == calls - 1


def test_standard_retries_ride_out_throttling(
    sim: InferenceRecommenderSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.add_job("retried")
    sim.faults.throttle_rate = 0.5
    sim.faults.operations = {"DescribeInferenceRecommendationsJob"}
    client = make_client(sim, monkeypatch, Config(retries={"mode": "standard", "max_attempts": 10}))
    # With seed 7 the first roll throttles, so success needs at least one retry.
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # botocore's backoff, not the test's time
    response = client.describe_inference_recommendations_job(JobName="retried")
    assert response["JobName"] == "retried"
    assert sim.call_counts["DescribeInferenceRecommendationsJob"] > 1
    assert (
        response["ResponseMetadata"]["RetryAttempts"]
        == sim.call_counts["DescribeInferenceRecommendationsJob"] - 1
    )


def test_server_error_is_internal_failure_500(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.faults.server_error_rate = 1.0
    with pytest.raises(ClientError) as error:
        client.list_inference_recommendations_jobs()
    assert error_code(error) == "InternalFailure"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_faults_limited_to_named_operations(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("fine")
    sim.faults.server_error_rate = 1.0
    sim.faults.operations = {"ListInferenceRecommendationsJobs"}
    assert describe(client, "fine")["JobName"] == "fine"
    with pytest.raises(ClientError):
        client.list_inference_recommendations_jobs()


# --- deletion -----------------------------------------------------------------------------------


def test_deleted_job_disappears(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("gone")
    sim.add_job("kept")
    sim.clock.advance(3600)
    sim.delete_job("gone")
    with pytest.raises(client.exceptions.ResourceNotFound):
        describe(client, "gone")
    assert names(client.list_inference_recommendations_jobs()) == ["kept"]
    assert names(client.list_inference_recommendations_jobs(StatusEquals="DELETED")) == []


def test_deleted_job_visible_as_deleted(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_job("gone")
    sim.clock.advance(3600)
    deleted_at = sim.clock.now()
    sim.delete_job("gone", visible_as_deleted=True)
    listed = client.list_inference_recommendations_jobs()["InferenceRecommendationsJobs"]
    assert [(job["JobName"], job["Status"]) for job in listed] == [("gone", "DELETED")]
    assert listed[0]["LastModifiedTime"] == deleted_at
    deleted = client.list_inference_recommendations_jobs(StatusEquals="DELETED")
    assert names(deleted) == ["gone"]
    with pytest.raises(client.exceptions.ResourceNotFound):
        describe(client, "gone")


# --- scale and metrics --------------------------------------------------------------------------


def test_recent_jobs_among_large_history(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_finished_jobs(2000)
    sim.add_job("fresh-a")
    sim.clock.advance(600)
    sim.add_job("fresh-b")
    response = client.list_inference_recommendations_jobs(
        LastModifiedTimeAfter=sim.clock.now() - timedelta(hours=1)
    )
    assert sorted(names(response)) == ["fresh-a", "fresh-b"]
    assert "NextToken" not in response


def test_accelerated_instances_report_nan_cpu(sim: InferenceRecommenderSimulator, client: Any) -> None:
    accelerated = ("ml.g4dn", "ml.g5", "ml.inf1", "ml.inf2")
    seen_accelerated = seen_cpu = 0
    for index in range(8):
        sim.add_job(f"metrics-{index}")
    sim.clock.advance(3600)
    for index in range(8):
        for item in describe(client, f"metrics-{index}")["InferenceRecommendations"]:
            cpu = item["Metrics"]["CpuUtilization"]
            assert isinstance(cpu, float)
            if item["EndpointConfiguration"]["InstanceType"].startswith(accelerated):
                seen_accelerated += 1
                assert math.isnan(cpu)
            else:
                seen_cpu += 1
                assert not math.isnan(cpu)
    assert seen_accelerated > 0
    assert seen_cpu > 0


def test_nan_metrics_still_match_model(sim: InferenceRecommenderSimulator, client: Any) -> None:
    for index in range(4):
        sim.add_job(f"nan-{index}")
    sim.clock.advance(3600)
    for index in range(4):
        response = describe(client, f"nan-{index}")
        assert_valid("DescribeInferenceRecommendationsJob", response)


# --- hostile answers ----------------------------------------------------------------------------


def test_a_job_can_report_times_from_a_clock_a_year_ahead(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    start = sim.clock.now()
    year = timedelta(days=365)
    sim.add_job("ahead", pending_seconds=30, run_seconds=600, clock_offset_seconds=year.total_seconds())
    sim.clock.advance(700)

    described = describe(client, "ahead")
    listing = client.list_inference_recommendations_jobs(LastModifiedTimeAfter=start + timedelta(days=300))

    assert_valid("DescribeInferenceRecommendationsJob", described)
    assert described["Status"] == "COMPLETED"
    assert described["CreationTime"] == start + year
    assert described["LastModifiedTime"] == start + timedelta(seconds=630) + year
    assert names(listing) == ["ahead"]
    assert listing["InferenceRecommendationsJobs"][0]["LastModifiedTime"] == described["LastModifiedTime"]


def test_a_stale_listing_shows_the_earlier_status_with_its_earlier_time(
    sim: InferenceRecommenderSimulator, client: Any
) -> None:
    start = sim.clock.now()
    sim.add_job("finished", pending_seconds=30, run_seconds=600)
    sim.clock.advance(900)  # COMPLETED at +630 s; ten minutes earlier (+300 s) it was running
    sim.faults.stale_listing_rate = 1.0
    sim.faults.stale_seconds = 600

    listing = client.list_inference_recommendations_jobs()

    assert_valid("ListInferenceRecommendationsJobs", listing)
    [entry] = listing["InferenceRecommendationsJobs"]
    assert entry["Status"] == "IN_PROGRESS"
    assert entry["LastModifiedTime"] == start + timedelta(seconds=30)
    assert describe(client, "finished")["Status"] == "COMPLETED"
    assert sim.fault_counts["stale listing entry"] == 1


# --- AI recommendation jobs ---------------------------------------------------------------------


def ai_names(response: dict[str, Any]) -> list[str]:
    return [job["AIRecommendationJobName"] for job in response["AIRecommendationJobs"]]


@pytest.mark.parametrize("outcome", ["COMPLETED", "FAILED", "STOPPED"])
def test_ai_describe_matches_model_at_every_status(
    sim: InferenceRecommenderSimulator, client: Any, outcome: str
) -> None:
    sim.add_ai_job("llama-sizing", outcome=outcome, adapters=("support-bot", "sql-bot"), run_seconds=600)
    running = client.describe_ai_recommendation_job(AIRecommendationJobName="llama-sizing")
    sim.clock.advance(900)
    finished = client.describe_ai_recommendation_job(AIRecommendationJobName="llama-sizing")

    assert_valid("DescribeAIRecommendationJob", running)
    assert_valid("DescribeAIRecommendationJob", finished)
    assert running["AIRecommendationJobStatus"] == "InProgress"
    assert finished["AIRecommendationJobStatus"] == outcome.title()
    assert ("Recommendations" in finished) == (outcome == "COMPLETED")
    assert "EndTime" in finished
    assert "EndTime" not in running


def test_ai_list_matches_model_and_filters(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_ai_job("old-done", run_seconds=60)
    sim.clock.advance(3600)
    cut = sim.clock.now()
    sim.add_ai_job("new-running")
    sim.add_job("new-running")  # an Inference Recommender job of the same name is another job
    sim.clock.advance(60)

    everything = client.list_ai_recommendation_jobs()
    created_since = client.list_ai_recommendation_jobs(CreationTimeAfter=cut - timedelta(seconds=1))
    running = client.list_ai_recommendation_jobs(StatusEquals="InProgress")

    assert_valid("ListAIRecommendationJobs", everything)
    assert ai_names(everything) == ["new-running", "old-done"]  # newest first, as the API's default
    assert ai_names(created_since) == ["new-running"]
    assert ai_names(running) == ["new-running"]
    assert names(client.list_inference_recommendations_jobs()) == ["new-running"]


def test_ai_list_pages_through_every_job_once(sim: InferenceRecommenderSimulator, client: Any) -> None:
    sim.add_finished_ai_jobs(250)
    paginator = client.get_paginator("list_ai_recommendation_jobs")
    listed = [
        name for page in paginator.paginate(PaginationConfig={"PageSize": 100}) for name in ai_names(page)
    ]
    assert sorted(listed) == sorted(f"ai-history-{index:05d}" for index in range(250))


def test_ai_describe_unknown_job_is_resource_not_found(client: Any) -> None:
    with pytest.raises(ClientError) as error:
        client.describe_ai_recommendation_job(AIRecommendationJobName="missing")
    assert error_code(error) == "ResourceNotFound"
