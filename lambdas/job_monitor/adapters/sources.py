"""One JobSource per kind of job: the only place a kind's adapter is chosen (JOB_KINDS picks which run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from job_monitor.adapters.sagemaker import SageMakerJobSource
from job_monitor.adapters.sagemaker_ai import AIRecommendationJobSource
from job_monitor.domain import AI_RECOMMENDATION, INFERENCE_RECOMMENDER
from job_monitor.ports import JobSource

SOURCES: dict[str, Callable[..., JobSource]] = {
    INFERENCE_RECOMMENDER: SageMakerJobSource,
    AI_RECOMMENDATION: AIRecommendationJobSource,
}


def job_source(kind: str, client: Any, *, region: str) -> JobSource:
    """The kind's adapter over a ``boto3.client("sagemaker")``."""
    return SOURCES[kind](client, region=region)
