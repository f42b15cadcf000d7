"""The local services the adapters' tests talk to: the SageMaker simulator, and the Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.simulator import InferenceRecommenderSimulator, SimulatedClock
from local.slack_api import SlackApi
from tests.support.channels import BERT, DEFAULT


@pytest.fixture
def simulator() -> Iterator[InferenceRecommenderSimulator]:
    with InferenceRecommenderSimulator(clock=SimulatedClock(), seed=5) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def shared_api() -> Iterator[SlackApi]:
    with SlackApi(channels=(DEFAULT, BERT)) as api:
        yield api


@pytest.fixture
def api(shared_api: SlackApi) -> SlackApi:
    """One server a module (each shutdown costs a poll), as new for each test."""
    shared_api.reset()
    return shared_api
