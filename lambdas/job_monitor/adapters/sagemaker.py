"""SageMaker Inference Recommender jobs, read through boto3's paginator and retry modes.

Its list call filters on LastModifiedTime, so what changed since the cursor is one listing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from job_monitor.domain import (
    DETAILED_STATUSES,
    INFERENCE_RECOMMENDER,
    BenchmarkOutcome,
    JobReport,
    JobSummary,
    benchmarks_from_steps,
    report_from_description,
    summary_from_listing,
)
from job_monitor.ports import Observation

PAGE_SIZE = 100  # the API's maximum; its default page is far smaller
# The benchmark steps only add to a message: past this budget (or page count) the message goes
# out without them rather than hold up the tick.
STEPS_BUDGET_SECONDS = 10.0
STEPS_MAX_PAGES = 10

_LOG = logging.getLogger(__name__)


class SageMakerJobSource:
    """Implements ports.JobSource for Inference Recommender jobs over a ``boto3.client("sagemaker")``."""

    kind = INFERENCE_RECOMMENDER
    # A listing by LastModifiedTime shows every change the service records; the monitor's bounded
    # reconciliation catches the rare one it does not.
    confirms_running = False

    def __init__(
        self,
        client: Any,
        *,
        region: str,
        steps_budget_seconds: float = STEPS_BUDGET_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ) -> None:
        self._client = client
        self._region = region
        self._steps_budget_seconds = steps_budget_seconds
        self._monotonic = monotonic
        self._log = logger or _LOG

    def changes(
        self, *, since: datetime | None, running: Collection[str], name_contains: str | None
    ) -> list[Observation]:
        """One listing of what was modified since the cursor; ``running`` is not needed."""
        return [
            Observation(summary=summary)
            for summary in self.list_jobs(modified_after=since, name_contains=name_contains)
        ]

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
        """The description; for a COMPLETED or FAILED job also what its benchmark steps say."""
        try:
            response = self._client.describe_inference_recommendations_job(JobName=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFound":
                return None
            raise
        report = report_from_description(response, region=self._region)
        if report.status in DETAILED_STATUSES:
            report = replace(report, benchmarks=self._benchmarks(name))
        return report

    def _benchmarks(self, name: str) -> BenchmarkOutcome | None:
        """ListInferenceRecommendationsJobSteps, all pages within the budget; None if it failed.

        A partial listing would miscount ("3 of 12 failed"), so running out of time or pages
        gives None, like an error: the message then says nothing about benchmarks.
        """
        deadline = self._monotonic() + self._steps_budget_seconds
        steps: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("list_inference_recommendations_job_steps")
        pages = paginator.paginate(
            JobName=name, StepType="BENCHMARK", PaginationConfig={"PageSize": PAGE_SIZE}
        )
        try:
            for number, page in enumerate(pages, 1):
                steps.extend(page.get("Steps") or ())
                if "NextToken" in page and (number >= STEPS_MAX_PAGES or self._monotonic() >= deadline):
                    self._log.warning(
                        "benchmark steps left out: listing them took too long",
                        extra={
                            "job_name": name,
                            "pages": number,
                            "budget_seconds": self._steps_budget_seconds,
                        },
                    )
                    return None
        except (ClientError, BotoCoreError) as error:
            self._log.warning(
                "benchmark steps left out: the call failed",
                extra={"job_name": name, "error": f"{type(error).__name__}: {error}"},
            )
            return None
        return benchmarks_from_steps(steps)
