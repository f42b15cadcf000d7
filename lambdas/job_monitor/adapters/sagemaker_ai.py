"""SageMaker AI recommendation jobs (generative-AI deployment sizing), read through boto3.

ListAIRecommendationJobs filters on CreationTime and status only, never on a last change. So what
changed since the cursor is found in two listings whatever the history: the jobs created since
the cursor, and the jobs still ``InProgress``; a tracked running job missing from the second has
ended, and only those are described. SageMaker calls per tick: 1 + ceil(in progress / 100) + the
jobs that ended, plus a page per 100 jobs created since the last tick.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from job_monitor.domain import (
    AI_RECOMMENDATION,
    COMPLETED,
    DELETED,
    FAILED,
    IN_PROGRESS,
    STOPPED,
    STOPPING,
    AIRecommendation,
    AIRecommendationDetails,
    JobReport,
    JobSummary,
    Optimization,
    PerformanceFigure,
)
from job_monitor.ports import Observation

PAGE_SIZE = 100  # the API's maximum
# The API's statuses, spelled its way, as the common ones.
STATUSES = {
    "InProgress": IN_PROGRESS,
    "Completed": COMPLETED,
    "Failed": FAILED,
    "Stopping": STOPPING,
    "Stopped": STOPPED,
}
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class AIRecommendationJobSource:
    """Implements ports.JobSource for AI recommendation jobs over a ``boto3.client("sagemaker")``."""

    kind = AI_RECOMMENDATION
    # Every tick's InProgress listing confirms every running job: no reconciliation needed.
    confirms_running = True

    def __init__(self, client: Any, *, region: str) -> None:
        self._client = client
        self._region = region

    def changes(
        self, *, since: datetime | None, running: Collection[str], name_contains: str | None
    ) -> list[Observation]:
        """Jobs created since ``since``, and the tracked ``running`` jobs that are no longer running.

        A running job that ended is described here, once: its report goes with the observation.
        A job that vanished comes back as DELETED, which stops its tracking. A call that still
        fails after botocore's retries fails this kind's discovery for the tick: its cursor stays,
        and the next tick finds the same changes again.
        """
        created = list(self._list(name_contains=name_contains, CreationTimeAfter=since))
        observations = [Observation(summary=summary) for summary in created]
        if not running:
            return observations
        seen = {summary.name for summary in created}
        seen.update(
            summary.name for summary in self._list(name_contains=name_contains, StatusEquals="InProgress")
        )
        for name in running:
            if name in seen:
                continue
            report = self.describe(name)
            if report is None:
                gone = JobSummary(name=name, status=DELETED, kind=self.kind, last_modified=_LONG_AGO)
                observations.append(Observation(summary=gone))
            else:
                observations.append(Observation(summary=report.summary(), report=report))
        return observations

    def _list(self, *, name_contains: str | None, **filters: Any) -> Iterator[JobSummary]:
        arguments: dict[str, Any] = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
        arguments.update({key: value for key, value in filters.items() if value is not None})
        if name_contains:
            arguments["NameContains"] = name_contains
        paginator = self._client.get_paginator("list_ai_recommendation_jobs")
        for page in paginator.paginate(**arguments):
            for item in page.get("AIRecommendationJobs", []):
                if item.get("AIRecommendationJobName"):
                    yield summary_from_listing(item)

    def describe(self, name: str) -> JobReport | None:
        try:
            response = self._client.describe_ai_recommendation_job(AIRecommendationJobName=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
                return None
            raise
        return report_from_description(response, region=self._region)


# --- Reading the API's shapes (plain dicts, as boto3 returns them) ------------------------------


def _status(value: Any) -> str:
    return STATUSES.get(str(value), str(value or "UNKNOWN").upper())


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return str(value) if value else None


def summary_from_listing(item: Mapping[str, Any]) -> JobSummary:
    """One entry of ListAIRecommendationJobs: its CreationTime is its place on the cursor."""
    created = _utc(item.get("CreationTime")) or _LONG_AGO
    ended = _utc(item.get("EndTime"))
    return JobSummary(
        name=item["AIRecommendationJobName"],
        status=_status(item.get("AIRecommendationJobStatus")),
        kind=AI_RECOMMENDATION,
        last_modified=ended or created,
        created_at=created,
        completed_at=ended,
        cursor_time=created,
    )


def report_from_description(response: Mapping[str, Any], *, region: str) -> JobReport:
    """DescribeAIRecommendationJob, tolerant of missing optional fields."""
    created = _utc(response.get("CreationTime"))
    ended = _utc(response.get("EndTime"))
    target = response.get("PerformanceTarget") or {}
    compute = response.get("ComputeSpec") or {}
    return JobReport(
        name=response["AIRecommendationJobName"],
        status=_status(response.get("AIRecommendationJobStatus")),
        region=region,
        kind=AI_RECOMMENDATION,
        model=_text(((response.get("ModelSource") or {}).get("S3") or {}).get("S3Uri")),
        created_at=created,
        completed_at=ended,
        last_modified=ended or created,
        failure_reason=response.get("FailureReason"),
        details=AIRecommendationDetails(
            goals=tuple(
                str(item["Metric"]) for item in target.get("Constraints") or () if item and item.get("Metric")
            ),
            framework=_text((response.get("InferenceSpecification") or {}).get("Framework")),
            optimize_model=response.get("OptimizeModel"),
            instance_types=tuple(str(item) for item in compute.get("InstanceTypes") or () if item),
            recommendations=tuple(
                _recommendation(item) for item in response.get("Recommendations") or () if item
            ),
            tags=tuple(
                (str(tag.get("Key")), str(tag.get("Value", "")))
                for tag in response.get("Tags") or ()
                if tag and tag.get("Key")
            ),
        ),
    )


def _recommendation(item: Mapping[str, Any]) -> AIRecommendation:
    """One recommendation; the deployment configuration says what to deploy, the model details
    what was measured (the same instances, when both are given)."""
    deployment = item.get("DeploymentConfiguration") or {}
    model = item.get("ModelDetails") or {}
    measured = next(iter(model.get("InstanceDetails") or ()), None) or {}
    adapters = item.get("AdapterDetails") or {}
    adapter_ids = [
        entry.get("AdapterId")
        for entry in (*(adapters.get("ModelPackageArns") or ()), *(adapters.get("S3Uris") or ()))
        if entry and entry.get("AdapterId")
    ]
    return AIRecommendation(
        description=_text(item.get("RecommendationDescription")),
        instance_type=_text(deployment.get("InstanceType") or measured.get("InstanceType")),
        instance_count=_whole(deployment.get("InstanceCount", measured.get("InstanceCount"))),
        copies_per_instance=_whole(
            deployment.get("CopyCountPerInstance", measured.get("CopyCountPerInstance"))
        ),
        image_uri=_text(deployment.get("ImageUri")),
        model_package=_text(model.get("ModelPackageArn")),
        environment=tuple(
            (str(key), str(value)) for key, value in (deployment.get("EnvironmentVariables") or {}).items()
        ),
        optimizations=tuple(
            Optimization(
                kind=str(detail["OptimizationType"]),
                config=tuple(
                    (str(key), str(value)) for key, value in (detail.get("OptimizationConfig") or {}).items()
                ),
            )
            for detail in item.get("OptimizationDetails") or ()
            if detail and detail.get("OptimizationType")
        ),
        expected_performance=tuple(
            PerformanceFigure(
                metric=str(figure["Metric"]),
                value=str(figure["Value"]),
                stat=_text(figure.get("Stat")),
                unit=_text(figure.get("Unit")),
            )
            for figure in item.get("ExpectedPerformance") or ()
            if figure and figure.get("Metric") and figure.get("Value") is not None
        ),
        adapters=tuple(dict.fromkeys(str(adapter) for adapter in adapter_ids)),
        benchmark_job_arn=_text(item.get("AIBenchmarkJobArn")),
    )
