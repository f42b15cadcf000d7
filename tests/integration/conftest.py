"""The local Slack Web API the app mode's tests talk to: one server a module, as new for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.slack_api import SlackApi
from tests.support.channels import BERT, DEFAULT


@pytest.fixture(scope="module")
def shared_api() -> Iterator[SlackApi]:
    with SlackApi(channels=(DEFAULT, BERT)) as api:
        yield api


@pytest.fixture
def api(shared_api: SlackApi) -> SlackApi:
    shared_api.reset()
    return shared_api
