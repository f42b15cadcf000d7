"""SageMaker Inference Recommender, read through boto3's paginator and retry modes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from job_monitor.domain import JobReport, JobSummary, report_from_description, summary_from_listing

PAGE_SIZE = 100  # the API's maximum; its default page is far smaller


class SageMakerJobSource:
    """Implements ports.JobSource over a ``boto3.client("sagemaker")``."""

    def __init__(self, client: Any, *, region: str) -> None:
        self._client = client
        self._region = region

    def list_jobs(
        self, *, modified_after: datetime | None, name_contains: str | None
    ) -> Iterator[JobSummary]:
        arguments: dict[str, Any] = {"PaginationConfig": {"PageSize": PAGE_SIZE}}
        if modified_after is not None:
            arguments["LastModifiedTimeAfter"] = modified_after
        if name_contains:
            arguments["NameContains"] = name_contains
        paginator = self._client.get_paginator("list_inference_recommendations_jobs")
        for page in paginator.paginate(**arguments):
            for item in page.get("InferenceRecommendationsJobs", []):
                if item.get("JobName"):
                    yield summary_from_listing(item)

    def describe(self, name: str) -> JobReport | None:
        try:
            response = self._client.describe_inference_recommendations_job(JobName=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
                return None
            raise
        return report_from_description(response, region=self._region)
