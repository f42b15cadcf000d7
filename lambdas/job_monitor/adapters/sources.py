"""One JobSource per kind of job: the only place a kind's adapter is chosen (JOB_KINDS picks which run)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from job_monitor.adapters.sagemaker import SageMakerJobSource
from job_monitor.adapters.sagemaker_ai import AIRecommendationJobSource
from job_monitor.domain import AI_RECOMMENDATION, INFERENCE_RECOMMENDER
from job_monitor.ports import JobSource

Log = logging.Logger | logging.LoggerAdapter | None

# Each kind's adapter over a client in one region; an adapter that logs does so through the logger.
SOURCES: dict[str, Callable[[Any, str, Log], JobSource]] = {
    INFERENCE_RECOMMENDER: lambda client, region, logger: SageMakerJobSource(
        client, region=region, logger=logger
    ),
    AI_RECOMMENDATION: lambda client, region, logger: AIRecommendationJobSource(client, region=region),
}


def job_source(kind: str, client: Any, *, region: str, logger: Log = None) -> JobSource:
    """The kind's adapter over a ``boto3.client("sagemaker")``.

    The function passes its structured logger, so that an adapter's warnings carry the job and the
    invocation like its own lines; without one, an adapter logs to its module's logger.
    """
    return SOURCES[kind](client, region, logger)
